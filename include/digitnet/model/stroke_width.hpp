#pragma once
// How wide a drawing's strokes are, and drawing them wider or narrower: what lets a digit drawn
// with a fine pen on a large canvas look, once scaled down, like the training data's digits, whose
// strokes are about two input pixels wide whatever the size of the original pen.
#include <vector>

namespace digitnet {

// A map of ink amounts, 0 (paper) .. 1 (full ink), row-major.
struct InkImage {
    int width = 0, height = 0;
    std::vector<double> ink;
    double at(int y, int x) const { return ink[static_cast<std::size_t>(y) * width + x]; }
};

// The mean width of the strokes, in pixels. Across a stroke of width w the distance from its
// inside to its edge runs evenly from 0 to w / 2, so w is four times the mean distance from the
// ink to the edge (the exact Euclidean distance, so slanted strokes measure as upright ones do).
// Ink is where the map is at least half. Strokes under two pixels measure as two. 0: no ink.
double stroke_width(const InkImage& image);

// The same ink with every stroke `grow` pixels wider (narrower when negative): the ink is cut at
// half, and each pixel takes its signed Euclidean distance to the ink's edge (Felzenszwalb and
// Huttenlocher's exact distance transform) moved out by grow / 2, with one pixel of antialiasing.
InkImage widen_strokes(const InkImage& image, double grow);

}  // namespace digitnet
