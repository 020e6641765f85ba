#pragma once
// Running a RunRequest: load (or take) the data, check everything, make the network and the
// backend, train, evaluate, write the outputs, and return one RunResult. Every door calls this and
// only translates its inputs into a request and presents the result.
//
// Several processes (mpirun) run it together: each loads its rows, the backend sums over the
// processes, and rank 0 alone writes. A step that one process may fail alone runs through the
// context's `agreed` function (the command line's on_every_process), so that all of them stop
// together with the same message.
#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "digitnet/distributed/communicator.hpp"
#include "digitnet/io/model_file.hpp"
#include "digitnet/model/backend.hpp"
#include "digitnet/model/dataset.hpp"
#include "digitnet/run/request.hpp"

namespace digitnet::run {

// Data given in memory instead of files (Python's X, y; the page's loaded set). Used when
// request.data_path is empty and `train` is set.
struct RunInputs {
    const Dataset* train = nullptr;
    const Dataset* test = nullptr;
    std::optional<ModelFile> init;  // a model given in memory (Python's init=)
};

// What happens while it runs. Every member may be left empty.
struct RunHooks {
    // With several processes: runs the step on every process and agrees on its failure (the
    // command line's on_every_process). Empty: the step simply runs.
    std::function<void(const std::function<void()>&)> agreed;
    const std::atomic<bool>* interrupt = nullptr;  // stops at the end of the iteration
    std::function<void(int done, double cost)> on_progress;
    // Every this many iterations (when the request's own checkpoint_every is 0), after the
    // request's checkpoint is written: the backend holds `parameters` (the page's accuracy points).
    int checkpoint_every = 0;
    std::function<void(Backend& backend, const Parameters& parameters, int done)> on_checkpoint;
    // Once the backend is made and holds the initial weights, with the steps planned.
    std::function<void(Backend& backend, const Parameters& initial, int steps)> on_start;
    // A note for the user (memory fallback to the CPU, a failed checkpoint write), on root only.
    std::function<void(const std::string& note)> on_note;
    // Called before the step named: the command line names it in an out-of-memory message.
    std::function<void(const std::string& step)> on_step;
    // With several processes, once each has read its rows: the whole sets' sizes, for the
    // processes to agree on the data before any training collective (the command line's agree_on).
    std::function<void(const Dataset& train, int train_total, const Dataset* test, int test_total)> on_data;
};

struct RunResult {
    Layout layout;
    Optimizer optimizer = Optimizer::GradientDescent;
    std::string data;  // the data's name (path, or "X")
    std::string device_name;
    Device device = Device::Cpu;
    Precision precision = Precision::Float;
    int examples = 0, test_examples = 0;  // over every process
    int steps = 0;                        // planned
    int batch = 0;                        // adam's batch as used (at most the examples)
    std::vector<double> history;          // the cost before each update
    double final_cost = 0.0;
    double train_accuracy = 0.0;
    std::optional<double> test_accuracy;
    double seconds = 0.0;  // the training loop alone
    bool interrupted = false;
    // Writes that failed during the run (checkpoints): the run went on, the previous file stayed,
    // and the history and summary were still written; the command line exits 1.
    std::vector<std::string> output_failures;
    ModelFile model;  // the trained weights and their metadata (empty after a divergence)
    // Several processes: how many, and the allreduce counters.
    int processes = 1;
    bool sums_in_graph = false;
    long allreduces = 0;
    double allreduce_seconds = 0.0;
};

// Runs `request` (validate_request first). Throws InputError for bad input before any work, and
// TrainingDiverged (divergence_message, nothing saved) when the cost stops being a number.
RunResult run_request(const RunRequest& request, Communicator& processes, const RunInputs& inputs = {},
                      const RunHooks& hooks = {});

// History as CSV: row i the cost after i updates (row 0 the starting weights, the last the final).
std::string history_csv(const std::vector<double>& history, double final_cost);

// The divergence message, once for every door: what the cost became, where, and which setting to
// lower, named as the door spells it.
std::string divergence_message(const RunRequest& request, int examples, int iteration, double cost, double first_cost);

}  // namespace digitnet::run
