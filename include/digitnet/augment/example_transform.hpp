#pragma once
// One example's distortion, explicit: where it moves, turns, grows, leans and bends, and how much
// wider its strokes get. draw_transform picks one at random (augment_options.hpp);
// apply_transform resamples the image through it (bilinear, the background outside the image).
#include <vector>

#include "digitnet/augment/augment_options.hpp"
#include "digitnet/augment/counter_random.hpp"
#include "digitnet/model/dataset.hpp"

namespace digitnet {

// What an example of the data set looks like as a picture: its shape, and the values of blank
// background and of full ink (model_info.hpp: ink may be darker than the background).
struct ImageFormat {
    ImageShape shape;
    double background = 0.0;
    double ink = 1.0;
};

// The data's image format, its levels read off the data as a model file records them
// (model_info_for). InputError when the examples are not image-shaped.
ImageFormat image_format_of(const Dataset& data);

// Positions are in pixels, (row, col), pixel (r, c) covering [r, r+1) x [c, c+1): its centre is
// (r + 0.5, c + 0.5). The affine part maps a point p of the input to
//     pivot + shift + R(rotation) H(shear) scale (p - pivot)
// in the (col, row) plane: H moves col by shear * row, R turns col towards row by `rotation`
// degrees. Then each output pixel q reads the input (after the stroke change) at the affine
// map's inverse of q, plus elastic displacement (elastic_row[i], elastic_col[i]) for q's index
// i = r * cols + c.
struct ExampleTransform {
    double pivot_row = 0.0, pivot_col = 0.0;
    double shift_row = 0.0, shift_col = 0.0;
    double rotation_degrees = 0.0;
    double scale = 1.0;
    double shear = 0.0;
    std::vector<double> elastic_row, elastic_col;  // empty: no elastic distortion
    double stroke = 0.0;                           // pixels of stroke width added (negative: removed)
};

// The centre of mass of an example's ink, (row, col) in the coordinates above: each pixel weighs
// how far it is above the background towards the ink (pixels on the background's other side weigh
// nothing). The image's centre when it has no ink.
void centre_of_mass(const double* example, const ImageFormat& format, double& row, double& col);

// A random transform for `example` (its pivot is its centre of mass), from `random`: the same
// numbers always give the same transform.
ExampleTransform draw_transform(const AugmentOptions& options, const ImageFormat& format, const double* example,
                                CounterRandom& random);

// `out` (features values) is `in` changed by `transform`. Every value of out lies between the
// smallest and largest of in's values and the background: with strengths 0 (the identity
// transform) out is exactly in.
void apply_transform(const ExampleTransform& transform, const ImageFormat& format, const double* in, double* out);

}  // namespace digitnet
