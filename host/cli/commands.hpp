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
#include "digitnet/run/request.hpp"

namespace digitnet::cli {

// Exit code after Ctrl-C or SIGTERM stopped a run (128 + SIGINT, as shells report it).
inline constexpr int kExitInterrupted = 130;

struct ComputeOptions {
    Device device = Device::Auto;
    Precision precision = Precision::Float;
    bool precision_given = false;
};

// `train`: the run layer's request (run/request.hpp), which main.cpp fills from the flags, and how
// to present it.
struct TrainOptions {
    run::RunRequest request;
    bool quiet = false;
    bool json = false;
};
// With several processes (mpirun), each trains on its rows and rank 0 alone writes and prints.
int run_train(const TrainOptions& options, Communicator& processes);

// cost, predict and gradcheck take train's network options (--hidden, --activation, --output):
// gradcheck checks that network; cost and predict check that the model is that network.
struct CostOptions {
    std::string model, data, gradient_out;
    run::NetworkRequest network;
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
    run::NetworkRequest network;
    bool json = false;
    ComputeOptions compute;
    ModelAssumptions assumptions;  // for a --model without digitnet's metadata (command_export.hpp)
};
int run_predict(const PredictOptions& options);
// predict --image: one picture through the model (command_predict_image.cpp).
int run_predict_image(const PredictOptions& options);

struct GradcheckOptions {
    run::NetworkRequest network;
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

// The data file to use: `given`, or the embedded data set when empty (run::default_data_path).
std::string data_path_or_default(const std::string& given);

}  // namespace digitnet::cli
