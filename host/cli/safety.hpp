#pragma once
// What only the command line checks (a picture named .png) and the step a command is at, for an
// out-of-memory message that names it. The checks every door makes are the run layer's
// (run/checks.hpp, run/request.hpp).
#include <string>
#include <vector>

namespace digitnet::cli {

// The step a command is at ("loading the data set"), named by main.cpp when std::bad_alloc ends
// the run.
void set_step(const std::string& step);
const std::string& current_step();

// Throws InputError unless `path` names a PNG file (.png, any case): `show` writes only PNG.
void check_png_name(const std::string& path, const std::string& what);

// "1 epoch", "2 epochs".
std::string count_of(long count, const std::string& singular, const std::string& plural);

}  // namespace digitnet::cli
