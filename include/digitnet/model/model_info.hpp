#pragma once
// What a model file records besides its weights, so the model can be used later on new inputs
// (a PNG of a handwritten digit): the label convention and what an input example looks like.
// Saved as extra variables (digitnet_*) that Octave and scipy.io.loadmat simply load alongside
// Theta1..ThetaL, and that other readers of the seed's format ignore.
#include <string>

#include "digitnet/model/dataset.hpp"

namespace digitnet {

struct ModelInfo {
    int label_base = 1;  // class k is label k + label_base (1: the ex4 convention, 10 for the digit 0)
    ImageShape image;    // the input as an image (rows == 0: not an image)
    // The values the training data uses for blank background and for full ink: the scaling and
    // polarity a new image is converted to (0 and 1 for MNIST-style data, ink bright).
    double background = 0.0;
    double ink = 1.0;
    // Where the digits sit in the training images and how big they are, in input pixels (pixel
    // (r, c) covers [r, r+1) x [c, c+1)): the median longest side of the ink's bounding box, and
    // the mean centre of mass. A new picture is scaled and moved to match (image_input.hpp).
    // MNIST made its digits so (longest side 20 in a 28x28 field, centred by centre of mass); in
    // digits20's 20x20 resampling the box is about 14 pixels.
    double digit_box = 0.0;  // 0: unknown (not an image)
    double centre_row = 0.0, centre_col = 0.0;
    // The median width of the digits' strokes, in input pixels (stroke_width.hpp): a picture drawn
    // with a finer or broader pen is redrawn to it. 0: unknown (kStrokeToBox of the digit box).
    double stroke_width = 0.0;
};

// The stroke width over the digit box of digits20's training digits (1.68 / 14, MNIST's pen
// resampled), assumed for models whose file does not record it.
inline constexpr double kStrokeToBox = 0.12;

// info.stroke_width, or what it is assumed to be when unknown.
double stroke_width_of(const ModelInfo& info);

// A pixel is ink when it is at least this far from the background towards the ink level: the
// same threshold measures the training data's digits (model_info_for) and a new picture's.
inline constexpr double kInkThreshold = 0.3;

// Read off the training data: its labels, image shape, background (the most common value of the
// border pixels) and ink (the 99th percentile of all pixels) levels, and its digits' box and centre.
ModelInfo model_info_for(const Dataset& train);

// Throws InputError (starting with `where`, a file name) unless `info` is what a model of `inputs`
// inputs can record and read back: label base 0 or 1, an image shape of `inputs` pixels (or none),
// finite background and ink levels that differ, and a digit box inside the image. Model files are
// checked with it when read and before they are written (model_file.hpp).
void check_model_info(const ModelInfo& info, int inputs, const std::string& where);

// What to assume for a model file without digitnet_* variables (the seed's own ex4weights.mat):
// the ex4 conventions, a square column-major image when the input size is a square, and MNIST's
// digit box (20/28 of the image's side) at the image's centre.
ModelInfo default_model_info(int inputs);

}  // namespace digitnet
