#pragma once
// ONNX export (onnx.ai), written with the ONNX project's own protobuf schema (onnx_pb.h, Debian's
// libonnx-dev) and checked by its checker before a byte is written. The graph, for layers 1..L:
//   X [batch, s0] float32 (batch dynamic)
//   -> Gemm(X, <2(l-1)>.weight, <2(l-1)>.bias, transB=1) -> Sigmoid | Tanh | Relu   (hidden layers)
//   -> Gemm(...) -> Sigmoid | Softmax(axis=1)                                       (the output)
//   -> Y [batch, K] float32: the probabilities (softmax) or per-class sigmoid scores digitnet computes.
// The initializers carry PyTorch's names (torch_tensors.hpp); metadata_props carry digitnet's
// metadata (model_metadata.hpp): what an input image is and how class k maps to a label.
#include <string>

#include "digitnet/io/model_file.hpp"

namespace digitnet {

// Whether this build writes ONNX (libonnx-dev was found when it was configured).
bool onnx_compiled_in();

// The bytes of an .onnx file for `model`, of the ai.onnx operator set `opset` (13 to 17). Throws
// UnavailableError in a build without ONNX ("built without ONNX"), and OutputError naming `path`
// when the ONNX checker refuses what was built (a bug).
std::string encode_onnx(const ModelFile& model, int opset, const std::string& path);

}  // namespace digitnet
