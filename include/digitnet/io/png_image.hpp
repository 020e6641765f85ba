#pragma once
// Pictures: the seed's grid of digits and the first layer's hidden units, written as PNG (libpng).
#include <cstdint>
#include <string>
#include <vector>

#include "digitnet/model/dataset.hpp"
#include "digitnet/model/layout.hpp"

namespace digitnet {

// A grey image, row-major, values in [0, 1] (0 black, 1 white).
struct GrayImage {
    int width = 0;
    int height = 0;
    std::vector<double> pixels;
};

// Tiles laid out in a grid of `columns`, as the course's displayData: each tile scaled by its own
// largest magnitude to [-1, 1] (-1 black, 1 white), a dark one-pixel border between tiles, and
// every pixel drawn as a `zoom` x `zoom` block so the picture is big enough to look at.
// Each tile is one vector of rows*cols values, in the order `shape` says.
GrayImage tile_grid(const std::vector<std::vector<double>>& tiles, ImageShape shape, int columns, int zoom);

// The seed's picture: `count` examples drawn at random (seeded) from the data, in a square grid.
GrayImage random_digits(const Dataset& data, int count, std::uint64_t seed, int zoom = 3);

// The rows of Theta_1 without the bias column, each drawn as an image of the input's shape.
GrayImage hidden_units(const Parameters& parameters, ImageShape shape, int zoom = 3);

// Reads any PNG (grey or colour, 8 or 16 bits, with or without alpha) as grey levels in [0, 1].
// Transparent parts are composited onto whichever of white or black the opaque strokes are not,
// so a drawing on a transparent canvas keeps its contrast. Throws InputError naming the path.
GrayImage read_png(const std::string& path);

// Writes 8-bit grey PNG atomically (temporary file, then rename). Throws InputError naming the path.
void write_png(const std::string& path, const GrayImage& image);

}  // namespace digitnet
