// digitnet: the command line. Parses with CLI11, runs one subcommand, and turns every error into
// one line on stderr and an exit code: 2 for bad input or usage, 1 for any other failure.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <new>
#include <optional>

#include "agreement.hpp"
#include "command_export.hpp"
#include "commands.hpp"
#include "digitnet/distributed/mpi_session.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/model/activation.hpp"
#include "option_parsing.hpp"
#include "safety.hpp"

namespace {

using namespace digitnet;

void add_json_flag(CLI::App* command, bool& json) {
    command->add_flag("--json", json, "Print one JSON object on stdout instead of text");
}

// The precisions' help, for the commands that compute with a backend.
constexpr const char* kPrecisionHelp =
    "Arithmetic precision: float or double, or a mixed precision as on tensor cores: tf32 (GEMM inputs "
    "rounded to TF32, FP32 accumulation, FP32 everywhere else) or bf16 (GEMM inputs in BF16, FP32 "
    "accumulation, FP32 master weights, activations, cost and update); on the CPU the mixed precisions "
    "are emulated. Models are saved in double whatever the precision";

void add_compute_options(CLI::App* command, cli::ComputeOptions& compute, const char* precision_help = kPrecisionHelp) {
    command
        ->add_option_function<std::string>(
            "--device",
            [&compute](const std::string& d) {
                compute.device = d == "gpu" ? Device::Gpu : d == "cpu" ? Device::Cpu : Device::Auto;
            },
            "Where to compute: auto (the GPU when there is one), cpu or gpu")
        ->check(CLI::IsMember({"auto", "cpu", "gpu"}))
        ->option_text("auto|cpu|gpu (default auto)");
    command
        ->add_option_function<std::string>(
            "--precision",
            [&compute](const std::string& p) {
                compute.precision = parse_precision(p);
                compute.precision_given = true;
            },
            precision_help)
        ->check(CLI::IsMember({"float", "double", "tf32", "bf16"}))
        ->option_text("float|double|tf32|bf16 (default float)");
}

}  // namespace

int main(int argc, char** argv) {
    // Under mpirun (or srun) MPI starts first, before any CUDA call, so that each process can take
    // its own GPU. Started any other way, this is one process, as always.
    std::optional<Processes> processes;
    try {
        processes.emplace(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "digitnet: error: %s\n", e.what());
        return 1;
    }
    Communicator& world = processes->communicator();
    const bool several = world.size() > 1;
    if (several) pin_gpu_to_local_rank();

    CLI::App app{
        "digitnet: a neural network digit recogniser (the 400-25-10 sigmoid network of the ex4 "
        "exercise), trained by backpropagation on the GPU (cuBLAS + fused kernels) or the CPU (OpenBLAS)"};
    app.require_subcommand(1);
    app.set_version_flag("--version", DIGITNET_VERSION);

    cli::TrainOptions train;
    run::RunRequest& request = train.request;
    run::OptimizerSettings& optimizer = request.optimizer;
    cli::ComputeOptions train_compute;
    auto* train_cmd = app.add_subcommand(
        "train", "Train a network: the seed's gradient descent by default, or conjugate gradient or Adam");
    train_cmd->add_option("--data", request.data_path,
                          "Data: .mat (X, y), IDX file or MNIST-style folder, or CSV (told apart by content); default: "
                          "the embedded data/digits20.mat");
    train_cmd->add_option("--test-data", request.test_data_path,
                          "Report the test accuracy on this file's examples (any --data format)");
    cli::add_network_options(train_cmd, request.network);
    train_cmd
        ->add_option_function<std::string>(
            "--optimizer",
            [&optimizer](const std::string& name) { optimizer.optimizer = run::parse_optimizer(name, run::Door::Cli); },
            "gd: the seed's full-batch gradient descent; cg: conjugate gradient with Wolfe line "
            "searches; adam: mini-batch Adam")
        ->check(CLI::IsMember(run::optimizer_names()))
        ->option_text("gd|cg|adam (default gd)");
    // The optimizers' own options: one line each (which optimizer takes which: run/settings.hpp).
    train_cmd->add_option("--iters", optimizer.iterations, "Iterations: gradient steps (gd) or line searches (cg)")
        ->capture_default_str();
    train_cmd->add_option("--alpha", optimizer.alpha, "Learning rate of gd")->capture_default_str();
    train_cmd->add_option("--epochs", optimizer.epochs, "Passes over the data (adam)")->capture_default_str();
    train_cmd->add_option("--batch", optimizer.batch, "Mini-batch size (adam)")->capture_default_str();
    train_cmd->add_option("--lr", optimizer.learning_rate, "Learning rate of adam")->capture_default_str();
    train_cmd->add_option("--lambda", request.lambda, "Regularisation strength")->capture_default_str();
    cli::add_seed_option(train_cmd, request.seed, "Seed of the random initial weights");
    cli::add_path_option(
        train_cmd, "--init", request.init,
        "Start from these weights (.mat with Theta1..ThetaL, .safetensors or .npz) instead of random ones");
    cli::add_path_option(train_cmd, "--save", request.save,
                         "Save the trained model here: .mat (Theta1..ThetaL), .safetensors or .npz (float32), .onnx");
    cli::add_path_option(train_cmd, "--history", request.history, "Write the cost of every iteration here (CSV)");
    train_cmd->add_option("--checkpoint-every", request.checkpoint_every,
                          "Also save the model (to --save) every N iterations; resume with --init");
    train_cmd->add_flag("--quiet,-q", train.quiet, "No progress bar");
    add_compute_options(train_cmd, train_compute);
    add_json_flag(train_cmd, train.json);

    cli::CostOptions cost;
    auto* cost_cmd = app.add_subcommand("cost", "The regularised cost (and optionally its gradient) at given weights");
    cost_cmd->add_option("--model", cost.model, "Weights file (.mat with Theta1..ThetaL, .safetensors or .npz)")
        ->required();
    cost_cmd->add_option("--data", cost.data, "Data file; default: the embedded data/digits20.mat");
    cli::add_network_options(cost_cmd, cost.network);
    cost_cmd->add_option("--lambda", cost.lambda, "Regularisation strength")->capture_default_str();
    cost_cmd->add_option("--grad", cost.gradient_out, "Write the gradient here as Theta1_grad..ThetaL_grad (.mat)");
    cli::add_label_base_option(cost_cmd, cost.assumptions);
    add_compute_options(cost_cmd, cost.compute);
    add_json_flag(cost_cmd, cost.json);

    cli::PredictOptions predict;
    auto* predict_cmd = app.add_subcommand("predict", "Accuracy and confusion matrix of a model on a data set");
    predict_cmd->add_option("--model", predict.model, "Model file (.mat with Theta1..ThetaL, .safetensors or .npz)")
        ->required();
    predict_cmd->add_option("--data", predict.data, "Data file; default: the embedded data/digits20.mat");
    cli::add_network_options(predict_cmd, predict.network);
    predict_cmd->add_option("--set", predict.set, "Which examples: train (X, y) or test (Xtest, ytest)")
        ->capture_default_str();
    predict_cmd->add_option("--test-data", predict.test_data, "Test examples for --set test (then the default set)");
    predict_cmd
        ->add_option("--image", predict.images,
                     "Classify these PNGs of one digit each, or the PNGs in these folders (any size, colour or "
                     "grey, dark-on-light or light-on-dark)")
        ->expected(1, -1);
    predict_cmd->add_option(
        "--save-input", predict.save_input,
        "With --image: write the input each picture became (what the network saw) to this folder as PNG");
    cli::add_label_base_option(predict_cmd, predict.assumptions);
    add_compute_options(predict_cmd, predict.compute);
    add_json_flag(predict_cmd, predict.json);

    cli::GradcheckOptions gradcheck;
    auto* gradcheck_cmd =
        app.add_subcommand("gradcheck", "Check backpropagation against central differences, in double");
    cli::add_network_options(gradcheck_cmd, gradcheck.network);
    gradcheck_cmd->add_option("--lambda", gradcheck.lambda, "Regularisation strength")->capture_default_str();
    gradcheck_cmd->add_option("--data", gradcheck.data, "Data file for the second check; default: data/digits20.mat");
    gradcheck_cmd->add_option("--examples", gradcheck.examples, "Examples in the random subset")->capture_default_str();
    cli::add_seed_option(gradcheck_cmd, gradcheck.seed, "Seed of the subset and weights");
    add_compute_options(gradcheck_cmd, gradcheck.compute,
                        "Checks double only: central differences need double's precision, so any other value is "
                        "refused (float, tf32 and bf16 are checked against the double reference by the tests' "
                        "tolerances instead)");
    gradcheck_cmd->get_option("--precision")->option_text("double (the only one checked)");
    add_json_flag(gradcheck_cmd, gradcheck.json);

    cli::ShowOptions show;
    auto* show_cmd = app.add_subcommand("show", "Draw random digits (or, with --model, the hidden units) as a PNG");
    show_cmd->add_option("--out", show.out, "PNG file to write")->required();
    show_cmd->add_option("--data", show.data, "Data file; default: the embedded data/digits20.mat");
    show_cmd->add_option("--model", show.model, "Draw the first layer's hidden units of this model instead");
    show_cmd->add_option("--count", show.count, "How many digits")->capture_default_str();
    cli::add_seed_option(show_cmd, show.seed, "Seed of the random choice");
    cli::add_model_assumption_options(show_cmd, show.assumptions);
    add_json_flag(show_cmd, show.json);

    cli::InfoOptions info;
    auto* info_cmd = app.add_subcommand("info", "Version, CUDA support, the GPU found, the BLAS library");
    add_json_flag(info_cmd, info.json);

    cli::ExportOptions exporting;
    auto* export_cmd = cli::add_export_command(app, exporting);

    cli::ServeCommandOptions serve;
    auto* serve_cmd = app.add_subcommand(
        "serve", "A page in the browser: draw digits, look inside the network, train and watch it learn");
    serve_cmd->add_option("--model", serve.model,
                          "Start with this model (.mat); default: train the seed's network at start");
    serve_cmd->add_option("--data", serve.data,
                          "Data for training and the look inside; default: the embedded data/digits20.mat");
    serve_cmd->add_option("--port", serve.port, "Port (0: any free one)")
        ->capture_default_str()
        ->check(CLI::Range(0, 65535));
    serve_cmd
        ->add_option("--host", serve.host,
                     "Address to listen on; other than 127.0.0.1, other machines can reach the page")
        ->capture_default_str();
    add_compute_options(serve_cmd, serve.compute);

    // Under mpirun every process first agrees on what it runs (agreement.hpp): arguments that parse
    // and the same subcommand, or every process stops with one message (from rank 0) and exit 2.
    const auto agreed_command = [&](const std::string& subcommand, const std::optional<cli::Failure>& failure) {
        try {
            cli::agree_on_command(world, subcommand, failure);
        } catch (const cli::AgreedFailure& e) {
            if (world.is_root()) std::fprintf(stderr, "digitnet: %s\n", e.failure().line.c_str());
            return std::optional<int>(e.failure().exit_code);
        }
        return std::optional<int>();
    };
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const bool asked = e.get_exit_code() == 0;  // --help, --version
        if (several) {
            const cli::Failure failure{2, std::string("error: ") + e.what() + " (see digitnet --help)"};
            if (const auto code = agreed_command(asked ? "--help or --version" : "(arguments that do not parse)",
                                                 asked ? std::nullopt : std::optional(failure)))
                return *code;
            if (!world.is_root()) return 0;  // every process asked for the help: rank 0 prints it
        }
        if (asked) return app.exit(e);
        std::fprintf(stderr, "digitnet: error: %s (see digitnet --help)\n", e.what());
        return 2;
    }
    if (several)
        if (const auto code = agreed_command(app.get_subcommands().front()->get_name(), std::nullopt)) return *code;
    if (!predict.test_data.empty() && predict_cmd->count("--set") == 0) predict.set = "test";
    request.optimizer.given = cli::given_settings(train_cmd);
    request.device = train_compute.device;
    request.precision = train_compute.precision;

    // Only `train` runs on several processes; under mpirun the other commands run on rank 0 alone.
    if (several && !*train_cmd && !world.is_root()) return 0;
    try {
        if (*train_cmd) return cli::run_train(train, world);
        if (*cost_cmd) return cli::run_cost(cost);
        if (*predict_cmd) return cli::run_predict(predict);
        if (*gradcheck_cmd) return cli::run_gradcheck(gradcheck);
        if (*show_cmd) return cli::run_show(show);
        if (*info_cmd) return cli::run_info(info);
        if (*serve_cmd) return cli::run_serve(serve);
        if (*export_cmd) return cli::run_export(exporting);
    } catch (...) {
        const cli::Failure failure = cli::failure_of(std::current_exception());
        if (several && *train_cmd) {
            bool agreed = false;
            try {
                throw;
            } catch (const cli::AgreedFailure&) {
                agreed = true;
            } catch (...) {
            }
            // A failure only this process met, in the middle of a step: the others would wait for
            // it forever, so end them all.
            if (!agreed) {
                std::fprintf(stderr, "digitnet: %s (process %d of %d; stopping all processes)\n", failure.line.c_str(),
                             world.rank(), world.size());
                world.abort(failure.exit_code);
            }
            if (!world.is_root()) return failure.exit_code;
        }
        std::fprintf(stderr, "digitnet: %s\n", failure.line.c_str());
        return failure.exit_code;
    }
    return 2;
}
