#include "digitnet/io/model_file.hpp"

#include <algorithm>
#include <cctype>

#include "digitnet/errors.hpp"
#include "digitnet/io/mat_io.hpp"
#include "digitnet/io/model_metadata.hpp"
#include "digitnet/io/npz_file.hpp"
#include "digitnet/io/onnx_export.hpp"
#include "digitnet/io/safe_output.hpp"
#include "digitnet/io/safetensors_file.hpp"

namespace digitnet {

namespace {

bool ends_with(const std::string& path, const std::string& extension) {
    if (path.size() < extension.size()) return false;
    return std::equal(extension.rbegin(), extension.rend(), path.rbegin(),
                      [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
}

// The seed's format: Theta1..ThetaL and the digitnet_* variables. A file without
// digitnet_activation (ex4weights.mat) or digitnet_label_base takes the assumptions.
ModelFile read_mat_model(const std::string& path, const ModelAssumptions& assumptions) {
    ModelFile model;
    model.parameters = load_weights(path);
    model.info = load_model_info(path, model.parameters.layout.inputs());
    ModelAssumptions recorded;
    if (mat_has_variable(path, "digitnet_activation")) {
        recorded.hidden = model.parameters.layout.hidden;
        recorded.output = model.parameters.layout.output;
    }
    if (mat_has_variable(path, "digitnet_label_base")) recorded.label_base = model.info.label_base;
    settle_conventions(recorded, assumptions, path, model);
    return model;
}

}  // namespace

ModelFormat model_format_of(const std::string& path) {
    if (ends_with(path, ".safetensors")) return ModelFormat::Safetensors;
    if (ends_with(path, ".npz")) return ModelFormat::Npz;
    if (ends_with(path, ".onnx")) return ModelFormat::Onnx;
    return ModelFormat::Mat;
}

const char* to_string(ModelFormat format) {
    switch (format) {
        case ModelFormat::Safetensors:
            return "safetensors";
        case ModelFormat::Npz:
            return "npz";
        case ModelFormat::Onnx:
            return "onnx";
        case ModelFormat::Mat:
            break;
    }
    return "mat";
}

TensorType parse_tensor_type(const std::string& text, const std::string& option) {
    if (text == "float32") return TensorType::Float32;
    if (text == "float64") return TensorType::Float64;
    throw InputError(option + " must be float32 or float64, got " + text);
}

const char* to_string(TensorType type) { return type == TensorType::Float32 ? "float32" : "float64"; }

namespace {
// Every model read is checked the same way, whatever its format (model_info.hpp).
ModelFile checked(ModelFile model, const std::string& path) {
    check_model_info(model.info, model.parameters.layout.inputs(), path);
    return model;
}
}  // namespace

ModelFile read_model_file(const std::string& path, const ModelAssumptions& assumptions) {
    switch (model_format_of(path)) {
        case ModelFormat::Safetensors:
            return checked(read_safetensors(path, assumptions), path);
        case ModelFormat::Npz:
            return checked(read_npz(path, assumptions), path);
        case ModelFormat::Onnx:
            throw InputError(path +
                             ": digitnet writes ONNX models but does not read them; HINT: give the model as .mat, "
                             ".safetensors or .npz");
        case ModelFormat::Mat:
            break;
    }
    return checked(read_mat_model(path, assumptions), path);
}

void write_model_file(const std::string& path, const ModelFile& model, const ModelWriteOptions& options) {
    check_model_info(model.info, model.parameters.layout.inputs(), path);
    const ModelFormat format = model_format_of(path);
    if (format == ModelFormat::Onnx) {
        if (options.tensors != TensorType::Float32)
            throw InputError(path + ": an ONNX model is written in float32 (its input X is float32), not " +
                             to_string(options.tensors));
        if (options.onnx_opset < kOnnxOpsetMin || options.onnx_opset > kOnnxOpsetMax)
            throw InputError(path + ": ONNX opset " + std::to_string(options.onnx_opset) + " is not written; " +
                             "choose " + std::to_string(kOnnxOpsetMin) + " to " + std::to_string(kOnnxOpsetMax));
    }
    switch (format) {
        case ModelFormat::Safetensors:
            check_output_path(path, "the output");
            write_output_file(path, encode_safetensors(model, options.tensors));
            return;
        case ModelFormat::Npz:
            check_output_path(path, "the output");
            write_output_file(path, encode_npz(model, options.tensors, path));
            return;
        case ModelFormat::Onnx:
            check_output_path(path, "the output");
            write_output_file(path, encode_onnx(model, options.onnx_opset, path));
            return;
        case ModelFormat::Mat:
            break;
    }
    save_weights(path, model.parameters, "", &model.info);
}

}  // namespace digitnet
