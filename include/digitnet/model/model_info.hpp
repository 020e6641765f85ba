#pragma once
// What a model file records besides its weights, so the model can be used later on new inputs
// (a PNG of a handwritten digit): the label convention and what an input example looks like.
// Saved as extra variables (digitnet_*) that Octave and scipy.io.loadmat simply load alongside
// Theta1..ThetaL, and that other readers of the seed's format ignore.
#include "digitnet/model/dataset.hpp"

namespace digitnet {

struct ModelInfo {
    int label_base = 1;  // class k is label k + label_base (1: the ex4 convention, 10 for the digit 0)
    ImageShape image;    // the input as an image (rows == 0: not an image)
    // The values the training data uses for blank background and for full ink: the scaling and
    // polarity a new image is converted to (0 and 1 for MNIST-style data, ink bright).
    double background = 0.0;
    double ink = 1.0;
};

// Read off the training data: its labels, image shape, and background (the most common value
// of the border pixels) and ink (the 99th percentile of all pixels) levels.
ModelInfo model_info_for(const Dataset& train);

// What to assume for a model file without digitnet_* variables (the seed's own ex4weights.mat):
// the ex4 conventions, a square column-major image when the input size is a square.
ModelInfo default_model_info(int inputs);

}  // namespace digitnet
