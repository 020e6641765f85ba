#pragma once
// Turning a picture of one handwritten digit into an input example for a trained model, the way
// MNIST made its digits (and so digits20's): the ink cropped, scaled to the data's digit box
// keeping its aspect ratio, and centred by its centre of mass.
#include <vector>

#include "digitnet/errors.hpp"
#include "digitnet/io/png_image.hpp"
#include "digitnet/model/model_info.hpp"

namespace digitnet {

// The picture is blank or nearly so: nothing to classify.
class NoDigitFound : public InputError {
public:
    using InputError::InputError;
};

// One row of X in the model's convention (model_info.hpp), from a picture of any size and shape:
// - levels: the background is the median of the border pixels; the ink is whichever extreme lies
//   farther from it (dark on light or light on dark), scaled to 0 (background) .. 1 (ink);
// - crop: the ink's bounding box, ink being at least kInkThreshold of the way to the extreme;
// - scale: the box's longest side becomes info.digit_box input pixels, keeping the aspect ratio
//   (area averaging, up or down);
// - centre: the ink's centre of mass goes to (info.centre_row, info.centre_col);
// - the brightest input pixel becomes info.ink and the background info.background, laid out
//   column-major or row-major as info.image says.
// Throws NoDigitFound when the picture has too little contrast or ink to hold a digit, and
// InputError when the model's input is not an image.
std::vector<double> image_to_input(const GrayImage& picture, const ModelInfo& info);

// An input row as a picture of info.image's size, row-major: background black, ink white.
GrayImage input_to_image(const std::vector<double>& input, const ModelInfo& info);

}  // namespace digitnet
