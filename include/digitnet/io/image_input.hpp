#pragma once
// Turning a picture of one handwritten digit into an input example for a trained model.
#include <vector>

#include "digitnet/model/model_info.hpp"
#include "digitnet/io/png_image.hpp"

namespace digitnet {

// One row of X in the model's convention (model_info.hpp):
// - resized to info.image's rows x cols by area averaging (any source size, up or down);
// - polarity made to match: a light background (the border brighter than mid-grey) is inverted,
//   so dark-on-light and light-on-dark drawings both end up ink-bright;
// - stretched so the image's darkest value becomes info.background and its brightest info.ink;
// - laid out column-major or row-major as info.image says.
// Throws InputError when the model's input is not an image.
std::vector<double> image_to_input(const GrayImage& picture, const ModelInfo& info);

}  // namespace digitnet
