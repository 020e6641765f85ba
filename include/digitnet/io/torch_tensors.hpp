#pragma once
// The weights as PyTorch names them: the state_dict of
//   nn.Sequential(nn.Linear(s0, s1), act, nn.Linear(s1, s2), act, ..., nn.Linear(s(L-1), sL))
// holds, for layer l = 1..L (module index 2(l-1)), "<2(l-1)>.weight" of shape [s_l, s_(l-1)] and
// "<2(l-1)>.bias" of shape [s_l]: Theta_l without, and with only, its bias column. This is what
// .safetensors and .npz files hold, so that `model.load_state_dict(...)` takes them as they are.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "digitnet/model/layout.hpp"

namespace digitnet {

// One tensor of a file: its shape and its values in C (row-major) order, as doubles.
struct Tensor {
    std::vector<std::int64_t> shape;
    std::vector<double> values;
};

// Each Linear's weight and bias, in module order: 0.weight, 0.bias, 2.weight, 2.bias, ...
std::vector<std::pair<std::string, Tensor>> torch_state_dict(const Parameters& parameters);

// The parameters (sizes from the shapes; activation and output the seed's, for the caller to
// settle) of the tensors named "<i>.weight" and "<i>.bias": any increasing module indices i (a
// Sequential with Dropout between its layers numbers them 0, 3, 6...), each Linear with both.
// Throws InputError naming `path` for a missing tensor, a name that is no Linear's, shapes that
// are not a weight matrix and bias vector or do not chain from one layer to the next, and a
// value that is NaN or infinite.
Parameters parameters_from_state_dict(const std::map<std::string, Tensor>& tensors, const std::string& path);

}  // namespace digitnet
