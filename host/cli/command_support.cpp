#include "command_support.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>

#include "digitnet/errors.hpp"
#include "digitnet/io/safe_output.hpp"
#include "digitnet/train/trainer.hpp"
#include "safety.hpp"

namespace digitnet::cli {

void print_json(const json& object) { std::cout << object.dump() << std::endl; }

// Notes go to stderr (with --json, stdout holds only the JSON object), and not at all with --quiet.
void print_note(const std::string& note, bool quiet) {
    if (note.empty() || quiet) return;
    std::cerr << "digitnet: " << note << '\n';
}

std::unique_ptr<Backend> backend_for(const ComputeOptions& compute, Precision precision, const Layout& layout,
                                     const Dataset& data, bool quiet) {
    // The machine (and the GPU, where it would be used) must have the memory for it: refused with
    // the numbers before any allocation otherwise.
    std::string note;
    ComputeOptions checked = compute;
    checked.precision = precision;
    const Device device = check_memory_for(layout, data.examples(), checked, &note);
    print_note(note, quiet);
    note.clear();
    set_step("setting up the " + std::string(device == Device::Cpu ? "CPU" : "compute") + " backend");
    auto backend = make_backend(device, precision, layout, data, &note);
    print_note(note, quiet);
    return backend;
}

void check_model_fits(const Parameters& model, const std::string& model_path, const Dataset& data) {
    const Layout& layout = model.layout;
    if (layout.inputs() != data.features())
        throw InputError(model_path + ": the model takes " + std::to_string(layout.inputs()) + " inputs but " +
                         data.source + " has " + std::to_string(data.features()) + " features per example");
    if (layout.classes() < data.classes)
        throw InputError(model_path + ": the model has " + std::to_string(layout.classes()) + " outputs but " +
                         data.source + " has labels up to " + std::to_string(data.classes - 1 + data.label_base));
}

// Every write checked (safe_output.hpp).
void write_text_file(const std::string& path, const std::string& text) { write_output_file(path, text); }

std::string format_number(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", value);
    return text;
}

std::string percent(double fraction) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f%%", fraction * 100.0);
    return text;
}

}  // namespace digitnet::cli
