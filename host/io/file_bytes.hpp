#pragma once
// A whole (small) file as bytes, for the readers of model files whose formats are read from
// memory (.safetensors, .npz): a model of a few million weights is some megabytes.
#include <string>

namespace digitnet {

// The bytes of `path`. Throws InputError naming the file when it is missing, a directory, cannot
// be read, or is larger than half of the free memory.
std::string read_file_bytes(const std::string& path);

}  // namespace digitnet
