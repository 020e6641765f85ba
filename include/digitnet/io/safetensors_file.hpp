#pragma once
// .safetensors files (huggingface.co/docs/safetensors): an 8-byte little-endian header length N,
// N bytes of JSON header, then the tensors' raw little-endian bytes. The header maps each tensor's
// name to {"dtype", "shape", "data_offsets": [begin, end)} (offsets into the bytes after the
// header), and "__metadata__" to an object of text keys and values: digitnet's metadata there
// (model_metadata.hpp). The tensors are named as PyTorch's nn.Sequential names them
// (torch_tensors.hpp); F32 or F64.
#include <string>
#include <string_view>

#include "digitnet/io/model_file.hpp"

namespace digitnet {

// The model in the bytes of a .safetensors file (`path` names it in errors). Throws InputError
// for a file too short for its header length, a header that is not a JSON object of tensors, an
// unknown dtype, shapes that do not match their byte ranges, ranges outside the data or that
// overlap or leave gaps, and everything parameters_from_state_dict and apply_model_metadata refuse.
ModelFile parse_safetensors(std::string_view bytes, const std::string& path, const ModelAssumptions& assumptions);
ModelFile read_safetensors(const std::string& path, const ModelAssumptions& assumptions);

// The bytes of a .safetensors file holding `model`, its tensors in `type` (F32 or F64).
std::string encode_safetensors(const ModelFile& model, TensorType type);

}  // namespace digitnet
