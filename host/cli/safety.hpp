#pragma once
// Checks the commands make before their work, so that what goes wrong is said in words a person
// understands and nothing is lost (issue 10): enough memory for the network and the data, options
// that belong to the chosen optimizer, a picture named .png, and what to say when training
// diverges. And the step a command is at, for an out-of-memory message that names it.
#include <string>
#include <vector>

#include "commands.hpp"
#include "digitnet/model/dataset.hpp"
#include "digitnet/model/layout.hpp"

namespace digitnet::cli {

// The step a command is at ("loading the data set"), named by main.cpp when std::bad_alloc ends
// the run.
void set_step(const std::string& step);
const std::string& current_step();

// Estimates the bytes a run needs beyond the data already loaded (parameters and their host
// copies, the backend's copy of the examples, activations and deltas of `examples` at once) and
// throws InputError with the numbers and what to reduce when the machine (or, where the GPU will
// be used, the GPU) has less free. With --device auto and too little GPU memory, returns Cpu
// (and says so in `note`) when the CPU has room. Returns the device to use.
Device check_memory_for(const Layout& layout, long examples, const ComputeOptions& compute, std::string* note);

// Throws InputError when an option of another optimizer was given ("--lr belongs to adam").
// `given` holds the option names the command line gave ("--alpha").
void check_optimizer_options(const std::string& optimizer, const std::vector<std::string>& given);

// Throws InputError unless `path` names a PNG file (.png, any case): `show` writes only PNG.
void check_png_name(const std::string& path, const std::string& what);

// Training stopped at `iteration` with `cost` (not finite, or grown far beyond the start): what
// happened and which option to lower.
std::string divergence_message(const TrainOptions& options, int examples, int iteration, double cost,
                               double first_cost);

// "1 epoch", "2 epochs".
std::string count_of(long count, const std::string& singular, const std::string& plural);

}  // namespace digitnet::cli
