// digitnet export --model M --out F: reads M (any format read_model_file reads) and writes it in
// the format of F's extension, checking everything before the one write.
#include "command_export.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "command_support.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/io/onnx_export.hpp"
#include "digitnet/io/safe_output.hpp"
#include "digitnet/model/activation.hpp"

namespace digitnet::cli {

void add_label_base_option(CLI::App* command, ModelAssumptions& assumptions) {
    command
        ->add_option_function<int>(
            "--label-base", [&assumptions](int base) { assumptions.label_base = base; },
            "For a model file that does not record it: class k is label k + this; 1 (default: labels 1..K, the ex4 "
            "convention, 10 for the digit 0) or 0 (labels are the digits, as PyTorch's class indices)")
        ->check(CLI::IsMember({0, 1}));
}

void add_model_assumption_options(CLI::App* command, ModelAssumptions& assumptions) {
    command
        ->add_option_function<std::string>(
            "--activation",
            [&assumptions](const std::string& name) { assumptions.hidden = parse_activation(name, "--activation"); },
            "For a model file that does not record it (a PyTorch state_dict): its hidden layers' activation "
            "(default sigmoid, the seed's)")
        ->check(CLI::IsMember(activation_names()));
    command
        ->add_option_function<std::string>(
            "--output",
            [&assumptions](const std::string& name) { assumptions.output = parse_output(name, "--output"); },
            "For a model file that does not record it: its output layer, sigmoid (default) or softmax")
        ->check(CLI::IsMember(output_names()));
    add_label_base_option(command, assumptions);
}

CLI::App* add_export_command(CLI::App& app, ExportOptions& o) {
    CLI::App* command = app.add_subcommand(
        "export",
        "Write a model in another format, chosen by --out's extension: .onnx (onnxruntime and others), "
        ".safetensors or .npz (PyTorch's nn.Sequential names: 0.weight, 0.bias, 2.weight, ...), .mat");
    command->add_option("--model", o.model, "Model to export (.mat, .safetensors or .npz)")->required();
    command->add_option("--out", o.out, "File to write: .onnx, .safetensors, .npz or .mat")->required();
    command
        ->add_option("--dtype", o.dtype,
                     "Tensors of .safetensors and .npz: float32 (PyTorch's, default) or float64 (digitnet's weights "
                     "bit for bit)")
        ->check(CLI::IsMember({"float32", "float64"}));
    command
        ->add_option(
            "--opset", o.opset,
            "ONNX operator set (" + std::to_string(kOnnxOpsetMin) + " to " + std::to_string(kOnnxOpsetMax) + ")")
        ->capture_default_str()
        ->check(CLI::Range(kOnnxOpsetMin, kOnnxOpsetMax));
    add_model_assumption_options(command, o.assumptions);
    command->add_flag("--json", o.json, "Print one JSON object on stdout instead of text");
    command->callback([command, &o] { o.dtype_given = command->count("--dtype") > 0; });
    return command;
}

int run_export(const ExportOptions& o) {
    const ModelFormat format = model_format_of(o.out);
    ModelWriteOptions options;
    options.tensors = parse_tensor_type(o.dtype, "--dtype");
    options.onnx_opset = o.opset;
    if (format == ModelFormat::Onnx && options.tensors != TensorType::Float32)
        throw InputError("--dtype " + o.dtype + ": an ONNX model is written in float32 (its input X is float32)");
    if (format == ModelFormat::Mat && o.dtype_given)
        throw InputError("--dtype: a .mat model is always written in double; --dtype is for .safetensors and .npz");
    if (format == ModelFormat::Onnx && !onnx_compiled_in())
        throw UnavailableError(o.out +
                               ": this digitnet was built without ONNX (libonnx-dev was not found when it was "
                               "configured); HINT: scripts/install_deps.sh, then configure and build again");
    check_output_path(o.out, "--out");
    check_outputs_are_not_inputs({{"--out", o.out}}, {{"--model", o.model}});
    const ModelFile model = read_model_file(o.model, o.assumptions);
    write_model_file(o.out, model, options);

    const Layout& layout = model.parameters.layout;
    const std::string tensors = format == ModelFormat::Mat    ? "double"
                                : format == ModelFormat::Onnx ? "float32"
                                                              : to_string(options.tensors);
    if (o.json) {
        nlohmann::json out{{"model", o.model},
                           {"out", o.out},
                           {"format", to_string(format)},
                           {"layout", layout.describe()},
                           {"activation", to_string(layout.hidden)},
                           {"output", to_string(layout.output)},
                           {"label_base", model.info.label_base},
                           {"dtype", tensors}};
        if (format == ModelFormat::Onnx) out["opset"] = o.opset;
        print_json(out);
    } else {
        std::printf("wrote %s (%s, %s weights%s): the %s model of %s\n", o.out.c_str(), to_string(format),
                    tensors.c_str(), format == ModelFormat::Onnx ? (", opset " + std::to_string(o.opset)).c_str() : "",
                    layout.describe().c_str(), o.model.c_str());
    }
    return 0;
}

}  // namespace digitnet::cli
