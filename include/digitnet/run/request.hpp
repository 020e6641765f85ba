#pragma once
// A training run as every door asks for it (the command line, Python, the page, mpirun): the
// network, the data, the optimizer with its options, the arithmetic, where it runs, the seed, the
// outputs and checkpoints. validate_request() is the one place its rules are checked; run.hpp runs
// it and returns one RunResult.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "digitnet/model/activation.hpp"
#include "digitnet/model/backend.hpp"
#include "digitnet/run/settings.hpp"
#include "digitnet/train/trainer.hpp"

namespace digitnet::run {

// The network's hidden part; the inputs and classes come from the data (or the --init model).
struct NetworkRequest {
    std::vector<int> hidden{25};
    bool hidden_given = false;
    std::optional<Activation> activation;  // unset: sigmoid, or the initial model's
    std::optional<Output> output;          // unset: sigmoid, or the initial model's
};

struct OptimizerSettings {
    Optimizer optimizer = Optimizer::GradientDescent;
    int iterations = 800;  // gd steps, cg line searches
    double alpha = 0.8;    // gd
    int epochs = 10;       // adam
    int batch = 128;       // adam
    double learning_rate = 1e-3;
    // The optimizer options the user gave (not defaults): each must belong to `optimizer`.
    std::vector<Setting> given;
};

struct RunRequest {
    Door door = Door::Cli;  // how messages name the settings
    NetworkRequest network;
    OptimizerSettings optimizer;
    double lambda = 1.0;
    std::uint64_t seed = 1;  // the initial weights, and Adam's shuffles
    Device device = Device::Auto;
    Precision precision = Precision::Float;
    // Data sources: files (command line, page) or, when data_path is empty, data given in memory
    // (Python, the page: RunInputs in run.hpp). data_path empty for files means the embedded set.
    std::string data_path;
    std::string test_data_path;
    std::optional<std::string> init;  // a model file to start from
    // Outputs: unset means not asked for; an empty name is an error.
    std::optional<std::string> save;
    std::optional<std::string> history;
    int checkpoint_every = 0;  // also save to `save` every this many iterations; 0: off
};

// Throws InputError (one line, spelled for request.door) unless every number is in range, every
// optimizer option given belongs to the optimizer, every output named is a usable name (not empty,
// no NUL byte) and checkpoints have a file to go to. Touches no file.
void validate_request(const RunRequest& request);

// Sets the optimizer option `setting` to `value` and records it as given (for the doors that take
// options by name: Python's keywords, the page's fields). InputError when `setting` is no optimizer
// option, or a whole-number option gets a fraction or a value beyond 2^31 - 1.
void set_optimizer_option(OptimizerSettings& settings, Setting setting, double value, Door door);

// What `request` would train for: gd steps, cg line searches or adam steps over `examples`.
int planned_steps(const OptimizerSettings& settings, int examples);

// The library's plan for the request's optimizer (no callbacks).
TrainingPlan training_plan(const RunRequest& request);

}  // namespace digitnet::run
