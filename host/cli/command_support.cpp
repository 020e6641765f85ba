#include "command_support.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>

#include "digitnet/errors.hpp"
#include "digitnet/io/safe_output.hpp"
#include "digitnet/run/checks.hpp"
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
    const Device device = run::check_memory_for(layout, data.examples(), compute.device, precision, &note);
    print_note(note, quiet);
    note.clear();
    set_step("setting up the " + std::string(device == Device::Cpu ? "CPU" : "compute") + " backend");
    auto backend = make_backend(device, precision, layout, data, &note);
    print_note(note, quiet);
    return backend;
}

ModelFile read_model_for(const std::string& path, const std::string& option, const run::NetworkRequest& network,
                         ModelAssumptions assumptions) {
    // --activation and --output say what a file without digitnet's metadata holds, and must match
    // what a file with it records.
    assumptions.hidden = network.activation;
    assumptions.output = network.output;
    ModelFile model = run::read_model(path, option, assumptions);
    const Layout& own = model.parameters.layout;
    if (network.hidden_given && std::vector<int>(own.sizes.begin() + 1, own.sizes.end() - 1) != network.hidden)
        throw InputError(path + ": its hidden layers (" + own.describe() + ") differ from --hidden");
    if (network.activation && *network.activation != own.hidden)
        throw InputError(path + ": its hidden layers use " + to_string(own.hidden) + ", not --activation " +
                         to_string(*network.activation));
    if (network.output && *network.output != own.output)
        throw InputError(path + ": its output is " + std::string(to_string(own.output)) + ", not --output " +
                         to_string(*network.output));
    return model;
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
