#pragma once
// The subcommands of the `digitnet` program. main.cpp parses the command line into these option
// structs; each run_* function does the work, prints text or one JSON object, and returns the
// exit code. Errors are thrown (errors.hpp) and turned into messages and exit codes by main.cpp.
#include <cstdint>
#include <string>
#include <vector>

#include "digitnet/distributed/communicator.hpp"
#include "digitnet/io/model_file.hpp"
#include "digitnet/model/backend.hpp"

namespace digitnet::cli {

// Exit code after Ctrl-C or SIGTERM stopped a run (128 + SIGINT, as shells report it).
inline constexpr int kExitInterrupted = 130;

struct ComputeOptions {
    Device device = Device::Auto;
    Precision precision = Precision::Float;
    bool precision_given = false;
};

struct TrainOptions {
    std::string data;  // empty: the embedded data/digits20.mat
    std::vector<int> hidden{25};
    bool hidden_given = false;
    std::string activation;        // sigmoid | tanh | relu; empty: sigmoid, or --init's
    std::string output;            // sigmoid | softmax; empty: sigmoid, or --init's
    std::string optimizer = "gd";  // gd | cg | adam
    int iterations = 800;          // gd: steps; cg: line searches
    double alpha = 0.8;
    int epochs = 10, batch = 128;  // adam
    double learning_rate = 1e-3;   // adam
    double lambda = 1.0;
    std::uint64_t seed = 1;
    std::string init, save, history;
    std::string test_data;           // held-out examples to report the test accuracy on, instead of data's own
    int checkpoint_every = 0;        // save to `save` every this many iterations; 0: off
    std::vector<std::string> given;  // the optimizer options given on the command line ("--alpha")
    bool quiet = false;
    bool json = false;
    ComputeOptions compute;
};
// With several processes (mpirun), each trains on its rows and rank 0 alone writes and prints.
int run_train(const TrainOptions& options, Communicator& processes);

struct CostOptions {
    std::string model, data, gradient_out;
    double lambda = 0.0;
    bool json = false;
    ComputeOptions compute;
    ModelAssumptions assumptions;  // for a --model without digitnet's metadata (command_export.hpp)
};
int run_cost(const CostOptions& options);

struct PredictOptions {
    std::string model, data;
    std::string set = "train";        // train | test
    std::string test_data;            // the test set for --set test (main.cpp makes test the default with it)
    std::vector<std::string> images;  // PNGs (or folders of them) of digits to classify instead of a data set
    std::string save_input;           // with images: write the input each picture became here
    bool json = false;
    ComputeOptions compute;
    ModelAssumptions assumptions;  // for a --model without digitnet's metadata (command_export.hpp)
};
int run_predict(const PredictOptions& options);
// predict --image: one picture through the model (command_predict_image.cpp).
int run_predict_image(const PredictOptions& options);

struct GradcheckOptions {
    double lambda = 1.0;
    std::string data;
    int examples = 16;
    std::uint64_t seed = 1;
    bool json = false;
    ComputeOptions compute;
};
int run_gradcheck(const GradcheckOptions& options);

struct ShowOptions {
    std::string data, model, out;
    int count = 100;
    std::uint64_t seed = 1;
    bool json = false;
    ModelAssumptions assumptions;  // for a --model without digitnet's metadata (command_export.hpp)
};
int run_show(const ShowOptions& options);

struct InfoOptions {
    bool json = false;
};
int run_info(const InfoOptions& options);

struct ServeCommandOptions {
    std::string host = "127.0.0.1";
    int port = 8080;
    std::string model, data;
    ComputeOptions compute;
};
// serve: the web page (command_serve.cpp, host/serve/).
int run_serve(const ServeCommandOptions& options);

// The data file to use: `given`, or the embedded data set when empty.
std::string data_path_or_default(const std::string& given);

}  // namespace digitnet::cli
