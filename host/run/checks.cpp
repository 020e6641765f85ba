#include "digitnet/run/checks.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "digitnet/cuda/cuda_backend.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/io/system_memory.hpp"

namespace digitnet::run {

namespace {

std::string number(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", value);
    return text;
}

std::string convention(int base) {
    return base == 1 ? std::string("labels 1..K (the ex4 .mat convention, 10 for the digit 0)")
                     : std::string("labels that are the digits 0..9");
}

}  // namespace

Device check_memory_for(const Layout& layout, long examples, Device device, Precision precision, std::string* note,
                        const std::string& hidden_name) {
    const double element = precision == Precision::Double ? 8.0 : 4.0;
    const double parameters = double(layout.parameter_count());
    double units = 0;  // per example: activations with their bias row, deltas, the one-hot labels
    for (std::size_t l = 0; l < layout.sizes.size(); ++l) units += 2.0 * layout.sizes[l] + 1.0;
    units += layout.classes();
    const double activations = double(examples) * units * element;
    // Host: the optimizers keep about ten copies of the parameters in double (start, current,
    // gradient, line-search points or Adam's moments); the backend its own few, per thread.
    const double host_parameters = parameters * (10.0 * 8.0 + 4.0 * element);
    const double cpu_bytes = activations + host_parameters;
    const std::string network = "the network " + layout.describe() + " (" + number(parameters) + " parameters) on " +
                                std::to_string(examples) + " examples";
    const std::string hint =
        "use fewer or smaller hidden layers (" + hidden_name + "), fewer examples, or a smaller precision than double";

    const bool gpu_possible = device != Device::Cpu && cuda_compiled_in();
    const auto gpu = gpu_possible ? gpu_info() : std::nullopt;
    if (gpu) {
        const double gpu_bytes = activations + parameters * 4.0 * element;
        if (gpu_bytes > double(gpu->free_memory)) {
            const std::string message = network + " needs about " + bytes_text(gpu_bytes) + " of GPU memory but " +
                                        gpu->name + " has " + bytes_text(double(gpu->free_memory)) + " free";
            if (device == Device::Gpu) throw InputError(message + "; HINT: " + hint + ", or the CPU");
            check_memory_available(cpu_bytes + parameters * 8.0, network, hint);
            if (note) *note = message + ": using the CPU";
            return Device::Cpu;
        }
        check_memory_available(host_parameters, network, hint);
        return device;
    }
    check_memory_available(cpu_bytes, network, hint);
    return device;
}

void check_path_text(const std::string& path, const std::string& what) {
    if (path.empty()) throw InputError(what + ": the file name is empty");
    if (path.find('\0') != std::string::npos)
        throw InputError(what + ": the file name holds a NUL byte, which would cut it short at '" +
                         path.substr(0, path.find('\0')) + "'");
}

void check_readable_input(const std::string& path, const std::string& what) {
    check_path_text(path, what);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return;  // the reader says what is wrong (no such file...)
    if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) return;
    const char* kind = S_ISFIFO(st.st_mode)                         ? "a FIFO (pipe)"
                       : S_ISSOCK(st.st_mode)                       ? "a socket"
                       : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                                                                    : "not a regular file";
    throw InputError(path + ": " + what + " is " + kind +
                     ", not a regular file; digitnet reads inputs from regular files only (copy it to a file first)");
}

void check_outputs(const std::vector<NamedPath>& outputs, const std::vector<NamedPath>& inputs) {
    for (const NamedPath& output : outputs)
        if (!output.path.empty()) check_output_path(output.path, output.option);
    std::vector<NamedPath> all_inputs = inputs;
    // The embedded data set is an input of every door even when not named.
    all_inputs.push_back({"the embedded data set", default_data_path()});
    all_inputs.push_back({"the embedded data set", std::string(DIGITNET_SOURCE_DIR) + "/data/digits20.mat"});
    check_outputs_are_not_inputs(outputs, all_inputs);
}

void check_model_meets_data(const ModelFile& model, const std::string& model_name, const Dataset& data) {
    const Layout& layout = model.parameters.layout;
    if (layout.inputs() != data.features())
        throw InputError(model_name + ": the model takes " + std::to_string(layout.inputs()) + " inputs but " +
                         data.source + " has " + std::to_string(data.features()) + " features per example");
    if (layout.classes() < data.classes)
        throw InputError(model_name + ": the model has " + std::to_string(layout.classes()) + " outputs but " +
                         data.source + " has labels up to " + std::to_string(data.classes - 1 + data.label_base));
    if (model.info.label_base != data.label_base)
        throw InputError(model_name + ": the model was trained on " + convention(model.info.label_base) + " but " +
                         data.source + " has " + convention(data.label_base) +
                         "; its accuracy there would be meaningless. HINT: use data of the model's convention");
}

void check_labels_meet_model(int label_base, int classes, const std::vector<long long>& labels,
                             const std::string& name) {
    const int base = label_base;
    for (std::size_t i = 0; i < labels.size(); ++i) {
        const long long label = labels[i];
        if (label >= base && label < base + classes) continue;
        std::string looks;
        if (base == 0 && label == classes)
            looks = "; it looks like the ex4 convention (labels 1..10, 10 for the digit 0)";
        if (base == 1 && label == 0) looks = "; it looks like labels that are the digits 0..9";
        throw InputError(name + ": label " + std::to_string(label) + " of example " + std::to_string(i + 1) +
                         " is not one of the model's labels " + std::to_string(base) + ".." +
                         std::to_string(base + classes - 1) + " (the model was trained on " + convention(base) + ")" +
                         looks + ". HINT: use labels of the model's convention");
    }
}

ModelFile read_model(const std::string& path, const std::string& what, const ModelAssumptions& assumptions) {
    check_readable_input(path, what);
    return read_model_file(path, assumptions);
}

void write_model(const std::string& path, const std::string& what, const ModelFile& model,
                 const std::vector<NamedPath>& inputs, const ModelWriteOptions& options) {
    check_path_text(path, what);
    check_outputs({{what, path}}, inputs);
    write_model_file(path, model, options);
}

std::string default_data_path() {
    const std::string local = "data/digits20.mat";
    std::error_code ec;
    if (std::filesystem::exists(local, ec)) return local;
    return std::string(DIGITNET_SOURCE_DIR) + "/data/digits20.mat";
}

}  // namespace digitnet::run
