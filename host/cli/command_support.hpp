#pragma once
// What the subcommands share: printing, picking the backend, the fit of a model to data, safe
// text files, number formats.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "commands.hpp"
#include "digitnet/io/model_file.hpp"
#include "digitnet/model/backend.hpp"
#include "digitnet/run/request.hpp"

namespace digitnet::cli {

using json = nlohmann::json;

void print_json(const json& object);
// A note about the run ("no GPU found: using the CPU") on stderr.
void print_note(const std::string& note, bool quiet);

std::unique_ptr<Backend> backend_for(const ComputeOptions& compute, Precision precision, const Layout& layout,
                                     const Dataset& data, bool quiet = false);

// The model file `path` (given as `option`): read through the run layer, which refuses FIFOs and
// devices and checks the metadata; then the network options given with it must agree with it.
ModelFile read_model_for(const std::string& path, const std::string& option, const run::NetworkRequest& network,
                         ModelAssumptions assumptions = {});

// Plain text, written atomically.
void write_text_file(const std::string& path, const std::string& text);

std::string format_number(double value);  // %g
std::string percent(double fraction);     // "97.52%"

}  // namespace digitnet::cli
