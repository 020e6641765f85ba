#include "command_support.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>

#include "digitnet/errors.hpp"
#include "digitnet/io/atomic_file.hpp"
#include "digitnet/train/trainer.hpp"

namespace digitnet::cli {

void print_json(const json& object) { std::cout << object.dump() << std::endl; }

void print_note(const std::string& note, bool json_output) {
    if (note.empty()) return;
    // With --json, stdout holds only the JSON object; the note goes to stderr either way.
    (void)json_output;
    std::cerr << "digitnet: " << note << '\n';
}

std::unique_ptr<Backend> backend_for(const ComputeOptions& compute, Precision precision, const Layout& layout,
                                     const Dataset& data, bool json_output) {
    std::string note;
    auto backend = make_backend(compute.device, precision, layout, data, &note);
    print_note(note, json_output);
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


void write_text_file(const std::string& path, const std::string& text) {
    write_atomically(path, [&](const std::string& temporary) {
        std::ofstream out(temporary);
        out << text;
        out.flush();
        if (!out) throw InputError(path + ": cannot write (disk full?)");
    });
}

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
