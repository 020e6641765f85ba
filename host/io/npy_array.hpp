#pragma once
// One .npy array (numpy's format: numpy.org/neps/nep-0001-npy-format.html): the magic "\x93NUMPY",
// a version, a header length, a header that is a Python dict literal
//   {'descr': '<f4', 'fortran_order': False, 'shape': (25, 400), }
// padded with spaces to a multiple of 64 bytes, then the raw values.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "digitnet/io/model_file.hpp"
#include "digitnet/io/torch_tensors.hpp"

namespace digitnet {

// What an array holds: numbers (as doubles, in C order whatever the file's order), or text (a
// unicode string array's code points as UTF-8, or a uint8 array's bytes).
struct NpyArray {
    std::vector<std::int64_t> shape;
    bool is_text = false;
    std::vector<double> values;  // !is_text
    std::string text;            // is_text
};

// Throws InputError naming `where` ("m.npz, entry 0.weight.npy") on any problem.
NpyArray parse_npy(std::string_view bytes, const std::string& where);

// The .npy bytes of a C-order array of `type` values; of a 0-d unicode string ('<U<n>') of ASCII text.
std::string encode_npy(const Tensor& tensor, TensorType type);
std::string encode_npy_text(const std::string& ascii);

}  // namespace digitnet
