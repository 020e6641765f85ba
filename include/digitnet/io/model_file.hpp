#pragma once
// A model file: the weights and what the model was trained on (ModelInfo), read and written whole,
// so that nothing a file records is lost between a load and a save. Every door (the commands, the
// page, Python) reads and writes models through these two calls. The format comes from the
// file's extension:
//   .safetensors  the format's spec, tensors named as PyTorch's nn.Sequential state_dict
//                 (safetensors_file.hpp), digitnet's metadata in "__metadata__";
//   .npz          numpy's zip of .npy files, the same names (npz_file.hpp), the metadata in the
//                 entry digitnet_metadata;
//   .onnx         written only: a graph onnxruntime and others run (onnx_export.hpp);
//   anything else the seed's .mat (Theta1..ThetaL with the digitnet_* variables, mat_io.hpp).
#include <map>
#include <optional>
#include <string>

#include "digitnet/model/activation.hpp"
#include "digitnet/model/layout.hpp"
#include "digitnet/model/model_info.hpp"

namespace digitnet {

struct ModelFile {
    Parameters parameters;  // the layout (sizes, activation, output) and the weights
    ModelInfo info;         // the label convention and what an input looks like
};

enum class ModelFormat { Mat, Safetensors, Npz, Onnx };

// The format of `path` by its extension (case-insensitive); .mat for any other name.
ModelFormat model_format_of(const std::string& path);
const char* to_string(ModelFormat format);  // "mat", "safetensors", "npz", "onnx"

// What to take for what a file does not record: a file without digitnet's metadata (the seed's
// ex4weights.mat, a PyTorch state_dict written with np.savez or safetensors) says nothing of its
// activations or of how its classes map to labels. Unset: the seed's (sigmoid hidden layers,
// sigmoid outputs, labels 1..K). Set (the command line's --activation, --output, --label-base):
// used for such a file, and a file that records another value is refused, naming both.
struct ModelAssumptions {
    std::optional<Activation> hidden;
    std::optional<Output> output;
    std::optional<int> label_base;  // 1 (labels 1..K, the ex4 convention) or 0 (labels are the digits)
};

// The model in `path`, in the format of its extension. Throws InputError naming the file on any
// problem (truncated, damaged, missing or misshapen tensors, non-finite weights), before any work.
ModelFile read_model_file(const std::string& path, const ModelAssumptions& assumptions = {});

// How the tensors of .safetensors, .npz and .onnx files are stored.
enum class TensorType {
    Float32,  // as PyTorch keeps its weights: each weight rounded once to the nearest float
    Float64,  // digitnet's own double weights, bit for bit
};
// "float32" -> Float32, "float64" -> Float64; InputError naming `option` otherwise.
TensorType parse_tensor_type(const std::string& text, const std::string& option);
const char* to_string(TensorType type);

// ONNX operator set versions the export writes (ai.onnx domain).
inline constexpr int kOnnxOpsetMin = 13;
inline constexpr int kOnnxOpsetMax = 17;

struct ModelWriteOptions {
    // .safetensors and .npz: float32 by default (PyTorch's); .mat is always double. ONNX takes
    // float32 only (its input X is float32, as onnxruntime's users feed it): Float64 is refused.
    TensorType tensors = TensorType::Float32;
    int onnx_opset = kOnnxOpsetMax;
};

// Writes `model` to `path` in the format of its extension, through write_output_file (all or
// nothing). Throws InputError before writing anything when the model or the options cannot be
// written (an opset out of range, a float64 ONNX file).
void write_model_file(const std::string& path, const ModelFile& model, const ModelWriteOptions& options = {});

}  // namespace digitnet
