#pragma once
// .npz files: numpy's zip of .npy arrays (np.savez writes the entries stored, np.savez_compressed
// deflated; both are read), one entry "<name>.npy" per tensor, named as PyTorch's nn.Sequential
// names them (torch_tensors.hpp), float32 or float64, little- or big-endian, C or Fortran order.
// digitnet's metadata (model_metadata.hpp) is the entry digitnet_metadata: a JSON object of text
// values, held as a 0-d numpy unicode string (dtype '<U...'), which is what
//   np.savez(path, **state_dict, digitnet_metadata=json.dumps(metadata))
// writes and what json.loads(str(np.load(path)["digitnet_metadata"])) reads back, without pickle.
// A 1-d uint8 array of the JSON's UTF-8 bytes is read too.
#include <string>
#include <string_view>

#include "digitnet/io/model_file.hpp"

namespace digitnet {

// The model in the bytes of an .npz file (`path` names it in errors). Throws InputError for a
// file that is not a zip, a damaged or truncated entry, an entry that is not a .npy array of a
// known dtype, an array whose shape does not match its bytes, an unreadable digitnet_metadata,
// and everything parameters_from_state_dict and apply_model_metadata refuse.
ModelFile parse_npz(std::string_view bytes, const std::string& path, const ModelAssumptions& assumptions);
ModelFile read_npz(const std::string& path, const ModelAssumptions& assumptions);

// The bytes of an .npz file holding `model` (entries deflated, as np.savez_compressed writes
// them), its tensors in `type`. `path` names the file in errors.
std::string encode_npz(const ModelFile& model, TensorType type, const std::string& path);

}  // namespace digitnet
