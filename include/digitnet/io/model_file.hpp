#pragma once
// A model file: the weights and what the model was trained on (ModelInfo), read and written whole,
// so that nothing a file records is lost between a load and a save. Every door (the commands, the
// page, Python) reads and writes models through these two calls; the format is the seed's .mat
// (Theta1..ThetaL with the digitnet_* variables, mat_io.hpp).
#include <string>

#include "digitnet/model/layout.hpp"
#include "digitnet/model/model_info.hpp"

namespace digitnet {

struct ModelFile {
    Parameters parameters;  // the layout (sizes, activation, output) and the weights
    ModelInfo info;         // the label convention and what an input looks like
};

// The model in `path`. A file without digitnet's metadata (the seed's ex4weights.mat) gets
// default_model_info(). Throws InputError naming the file on any problem.
ModelFile read_model_file(const std::string& path);

// Writes `model` to `path` (through write_output_file: all or nothing). Throws InputError before
// writing anything when its metadata could not be read back (see check_model_info).
void write_model_file(const std::string& path, const ModelFile& model);

}  // namespace digitnet
