#pragma once
// Options whose values CLI11 alone would take too loosely: a seed of -1 or beyond 2^64 wrapped
// around, and "--hidden 25,,10" read as 25,10.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace digitnet::cli {

// A whole number 0..2^64-1 written in decimal digits only; throws CLI::ValidationError otherwise.
std::uint64_t parse_seed(const std::string& text);

// Layer sizes separated by commas, each a whole number >= 1 (no empty entries); throws
// CLI::ValidationError otherwise.
std::vector<int> parse_hidden(const std::vector<std::string>& words);

void add_seed_option(CLI::App* command, std::uint64_t& seed, const std::string& description);
void add_hidden_option(CLI::App* command, std::vector<int>& hidden, bool& given);

// The names of `names` that were given on the command line of `command`.
std::vector<std::string> given_options(const CLI::App* command, const std::vector<std::string>& names);

}  // namespace digitnet::cli
