#pragma once
// .mat files (MATLAB v5 and v7.3) through matio: data sets and weights in the seed's format.
#include <string>
#include <vector>

#include "digitnet/model/dataset.hpp"
#include "digitnet/model/layout.hpp"
#include "digitnet/model/model_info.hpp"

namespace digitnet {

// X (m x n; double, single or uint8) and y (m x 1, labels 1..K), and Xtest/ytest when present.
// K is the largest label in y (at least 2). Throws InputError naming the file on any problem.
DataFile load_mat_data(const std::string& path);

// Theta1..ThetaL (double) as written by the seed, Octave or scipy. The layout comes from the
// shapes, which must chain: Theta_(l+1) has s_l + 1 columns. Throws InputError otherwise.
Parameters load_weights(const std::string& path);

// Theta1..ThetaL in double, readable by Octave, MATLAB and scipy.io.loadmat. `suffix` is appended
// to each name ("_grad" writes Theta1_grad..). Written to a temporary file in the same folder and
// renamed over `path`, so a reader never sees a half-written file and a failure leaves the old one.
// With `info`, the file also records it as digitnet_* variables (model_info.hpp).
void save_weights(const std::string& path, const Parameters& parameters, const std::string& suffix = "",
                  const ModelInfo* info = nullptr);

// The digitnet_* variables of a model file, or default_model_info() when it has none.
ModelInfo load_model_info(const std::string& path, int inputs);

// Whether the .mat file has a variable `name` (model_file.cpp: does it record its activations?).
bool mat_has_variable(const std::string& path, const std::string& name);

}  // namespace digitnet
