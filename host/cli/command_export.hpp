#pragma once
// `digitnet export`: a model to another format (.onnx, .safetensors, .npz, .mat), and the options
// every command that reads a model takes for a file without digitnet's metadata.
#include <CLI/CLI.hpp>
#include <string>

#include "digitnet/io/model_file.hpp"

namespace digitnet::cli {

// --activation, --output and --label-base on a command that reads a model (--model): what a file
// without digitnet's metadata (a PyTorch state_dict saved with np.savez) is taken to be; a file
// that records other values is refused (model_file.hpp, ModelAssumptions).
void add_model_assumption_options(CLI::App* command, ModelAssumptions& assumptions);
// --label-base alone, for commands whose --activation and --output are the network options.
void add_label_base_option(CLI::App* command, ModelAssumptions& assumptions);

struct ExportOptions {
    std::string model, out;
    std::string dtype = "float32";  // float32 | float64 (.safetensors, .npz)
    int opset = kOnnxOpsetMax;      // .onnx
    bool dtype_given = false;
    ModelAssumptions assumptions;
    bool json = false;
};

// Adds the subcommand to `app`; main.cpp runs run_export when it was chosen.
CLI::App* add_export_command(CLI::App& app, ExportOptions& options);
int run_export(const ExportOptions& options);

}  // namespace digitnet::cli
