#pragma once
// digitnet's metadata as text keys and values, the form all three travelling formats can hold:
// safetensors' "__metadata__" (string to string), the JSON object of an npz file's
// digitnet_metadata entry, and ONNX's metadata_props. The keys (values are text):
//   digitnet_version        the digitnet that wrote the file
//   digitnet_layout         the layer sizes, "400,25,10" (checked against the tensors)
//   digitnet_activation     sigmoid | tanh | relu (the hidden layers')
//   digitnet_output         sigmoid | softmax
//   digitnet_label_base     1: class k is label k + 1 (ex4: 10 is the digit 0); 0: label k
//   digitnet_image_rows, digitnet_image_cols, digitnet_image_order (column-major | row-major):
//                           an input is an image of these pixels, in this order (rows 0: not an image)
//   digitnet_background, digitnet_ink   the pixel values of blank paper and of full ink
//   digitnet_digit_box, digitnet_centre_row, digitnet_centre_col   where the digits sit (model_info.hpp)
// Numbers are written with 17 significant digits, so that they read back exactly.
#include <map>
#include <string>

#include "digitnet/io/model_file.hpp"

namespace digitnet {

using ModelMetadata = std::map<std::string, std::string>;

// Every key above for `model`.
ModelMetadata model_metadata(const ModelFile& model);

// Completes `model`, whose parameters hold the tensors' sizes and weights, from a file's metadata:
// the activation, output and ModelInfo it records, and for what it does not record the
// assumptions (model_file.hpp) or default_model_info. Other keys (another tool's, such as
// safetensors' "format": "pt", or a later digitnet's) are ignored. Throws InputError naming `path`
// and the key for a value that does not parse or does not fit the model, and for a recorded
// value other than an assumption that was set.
void apply_model_metadata(const ModelMetadata& metadata, const std::string& path, const ModelAssumptions& assumptions,
                          ModelFile& model);

// What a file records of the three conventions (unset: it does not say), settled against the
// assumptions: each of model.parameters.layout.hidden, .output and model.info.label_base becomes
// the recorded value, else the assumption, else the seed's. Throws InputError naming `path` when
// a recorded value differs from an assumption that was set. apply_model_metadata calls it; the
// .mat reader too.
void settle_conventions(const ModelAssumptions& recorded, const ModelAssumptions& assumptions, const std::string& path,
                        ModelFile& model);

}  // namespace digitnet
