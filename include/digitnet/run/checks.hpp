#pragma once
// The checks a run makes before its work, shared by every door: enough memory, inputs that can be
// read without blocking, outputs that can be written and are not inputs, and a model that fits the
// data it meets (inputs, classes and the label convention). Every message is one line naming the
// file and the problem (InputError).
#include <string>
#include <vector>

#include "digitnet/io/model_file.hpp"
#include "digitnet/io/safe_output.hpp"
#include "digitnet/model/backend.hpp"
#include "digitnet/model/dataset.hpp"
#include "digitnet/model/layout.hpp"

namespace digitnet::run {

// Estimates the bytes a run needs beyond the data already loaded (parameters and their host
// copies, the backend's copy of the examples, activations and deltas of `examples` at once) and
// throws InputError with the numbers and what to reduce when the machine (or, where the GPU will
// be used, the GPU) has less free. With Device::Auto and too little GPU memory, returns Cpu
// (and says so in `note`) when the CPU has room. Returns the device to use. `hidden_name` is how
// the door calls the hidden sizes ("--hidden", "hidden").
Device check_memory_for(const Layout& layout, long examples, Device device, Precision precision, std::string* note,
                        const std::string& hidden_name = "--hidden");

// Throws InputError when `path` cannot be a file name: empty, or holding a NUL byte (which the
// system would cut the name at: 'victim.csv\0.mat' would name victim.csv). `what` names the option.
void check_path_text(const std::string& path, const std::string& what);

// Throws InputError unless `path` names a regular file or a folder (a data folder): a FIFO, socket
// or device would block the reader or never end. The name is followed through links, so
// /dev/stdin passes when the shell redirected it from a regular file (`--data /dev/stdin < f.mat`)
// and is refused when it is a pipe or a terminal. Missing files pass (the reader says "no such file").
void check_readable_input(const std::string& path, const std::string& what);

// check_output_path for each output, then check_outputs_are_not_inputs (safe_output.hpp).
void check_outputs(const std::vector<NamedPath>& outputs, const std::vector<NamedPath>& inputs);

// The model (`model_name`) against data it is used on: inputs == features, enough outputs for
// the labels, and the same label convention (a 0..9 model on ex4's 1..10 data would score every
// example against the wrong output). InputError naming both otherwise.
void check_model_meets_data(const ModelFile& model, const std::string& model_name, const Dataset& data);

// The same for labels given as numbers (Python's y): each must be one of the model's labels,
// label_base .. label_base + classes - 1; a label outside says which convention it looks like.
void check_labels_meet_model(int label_base, int classes, const std::vector<long long>& labels,
                             const std::string& name);

// read_model_file after check_readable_input, and write_model_file after check_outputs against
// `inputs` (the files a door knows it read: the data, the embedded data set).
ModelFile read_model(const std::string& path, const std::string& what, const ModelAssumptions& assumptions = {});
void write_model(const std::string& path, const std::string& what, const ModelFile& model,
                 const std::vector<NamedPath>& inputs, const ModelWriteOptions& options = {});

// The embedded data set data/digits20.mat, as the commands find it (the working folder's, else the
// source tree's).
std::string default_data_path();

}  // namespace digitnet::run
