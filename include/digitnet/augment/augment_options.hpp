#pragma once
// How strongly training images are distorted (issue 22 item 3): each example of each epoch gets
// its own random affine transform, elastic distortion and stroke-width change, each drawn
// uniformly within the ranges below times `strength`.
namespace digitnet {

struct AugmentOptions {
    // Affine, about the digit's centre of mass.
    double shift = 2.0;      // pixels, at most, along each axis
    double rotation = 15.0;  // degrees, at most, either way
    double scale = 0.1;      // the size is multiplied by 1 - scale .. 1 + scale
    double shear = 0.2;      // horizontal shear: columns move by up to shear pixels per row
    // Elastic distortion (Simard, Steinkraus and Platt 2003, "Best practices for convolutional
    // neural networks applied to visual document analysis"): a field of uniform random
    // displacements in [-1, 1] smoothed by a Gaussian of elastic_sigma pixels and multiplied by
    // elastic_alpha. Both are given for a 28x28 image and scaled to the image: sigma with its side,
    // alpha with its side squared (the smoothed field's size falls as 1 / sigma, so this keeps the
    // displacements the same fraction of the image). Simard's MNIST values: 34 and 4.
    double elastic_alpha = 34.0;
    double elastic_sigma = 4.0;
    // Stroke width: grey dilation (wider) or erosion (narrower) by a small square, changing the width of
    // the strokes by up to this many pixels either way (times strength: at most 2).
    double stroke = 0.5;
    // Multiplies every range above (not elastic_sigma, which is a length, not a strength): 0 leaves
    // the images exactly as they are, 2 distorts twice as much.
    double strength = 1.0;
};

// Throws InputError naming the option when a value is negative, not finite, or out of its range
// (scale * strength under 1, elastic_sigma positive when elastic_alpha is not 0).
void validate_augment_options(const AugmentOptions& options);

}  // namespace digitnet
