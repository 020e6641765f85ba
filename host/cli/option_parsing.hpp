#pragma once
// Options whose values CLI11 alone would take too loosely: a seed of -1 or beyond 2^64 wrapped
// around, and "--hidden 25,,10" read as 25,10.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "digitnet/run/request.hpp"

namespace digitnet::cli {

// A whole number 0..2^64-1 written in decimal digits only; throws CLI::ValidationError otherwise.
std::uint64_t parse_seed(const std::string& text);

// Layer sizes separated by commas, each a whole number >= 1 (no empty entries); throws
// CLI::ValidationError otherwise.
std::vector<int> parse_hidden(const std::vector<std::string>& words);

void add_seed_option(CLI::App* command, std::uint64_t& seed, const std::string& description);
void add_hidden_option(CLI::App* command, std::vector<int>& hidden, bool& given);

// --hidden, --activation and --output, the network options every command that builds or checks a
// network takes (train, gradcheck, cost, predict).
void add_network_options(CLI::App* command, run::NetworkRequest& network);

// A file name that is either not given or given (an empty name given is kept, for the run layer
// to refuse: `--save ""` is an error, not "no output").
void add_path_option(CLI::App* command, const std::string& name, std::optional<std::string>& path,
                     const std::string& description);

// The optimizers' own options given on the command line of `command` (run/settings.hpp's table).
std::vector<run::Setting> given_settings(const CLI::App* command);

}  // namespace digitnet::cli
