#pragma once
// Test digits redrawn as a person would draw them: on a larger canvas of another shape, off-centre,
// at another size, with a pen of another width, in either polarity and at other grey levels. The
// off-centre set of issue 15, made from digits20's test digits so it needs no files.
#include <algorithm>
#include <cmath>
#include <random>

#include "digitnet/io/png_image.hpp"
#include "digitnet/model/dataset.hpp"

namespace digitnet::testing {

// Pixel value of example i of `data` (a 20x20-style image, either order) at the continuous point
// (y, x), pixel (r, c) covering [r, r+1) x [c, c+1): bilinear between pixel centres, 0 outside.
inline double sample_bilinear(const Dataset& data, int i, double y, double x) {
    const int rows = data.image.rows, cols = data.image.cols;
    const auto at = [&](int r, int c) {
        if (r < 0 || c < 0 || r >= rows || c >= cols) return 0.0;
        return data.X(i, data.image.column_major ? c * rows + r : r * cols + c);
    };
    const double fy = y - 0.5, fx = x - 0.5;
    const int r0 = static_cast<int>(std::floor(fy)), c0 = static_cast<int>(std::floor(fx));
    const double wy = fy - r0, wx = fx - c0;
    return (1 - wy) * ((1 - wx) * at(r0, c0) + wx * at(r0, c0 + 1)) +
           wy * ((1 - wx) * at(r0 + 1, c0) + wx * at(r0 + 1, c0 + 1));
}

// Example i redrawn on a random canvas (60..300 pixels a side, either shape), the digit 20% to 75%
// of the canvas's shorter side tall, anywhere on it, the strokes the level set of the digit at a
// random level between 0.15 (a broad pen) and 0.6 (a fine one) with soft edges, dark on light or
// light on dark at random grey levels.
inline GrayImage redrawn_digit(const Dataset& data, int i, std::mt19937& random) {
    const auto uniform = [&](double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(random); };
    GrayImage image;
    image.width = static_cast<int>(uniform(60, 300));
    image.height = static_cast<int>(uniform(60, 300));
    // The digit's ink spans about 14 of the 20 source pixels: pixels 3..17.
    const double ink_side = uniform(0.2, 0.75) * std::min(image.width, image.height);
    const double zoom = ink_side / 14.0;
    const double left = uniform(-3 * zoom, image.width - 17 * zoom), top = uniform(-3 * zoom, image.height - 17 * zoom);
    const double level = uniform(0.15, 0.6), edge = 0.08;
    const bool dark_ink = random() % 2 == 0;
    const double paper = dark_ink ? uniform(0.7, 1.0) : uniform(0.0, 0.3),
                 ink = dark_ink ? uniform(0.0, 0.3) : uniform(0.7, 1.0);
    image.pixels.resize(static_cast<std::size_t>(image.width) * image.height);
    for (int y = 0; y < image.height; ++y)
        for (int x = 0; x < image.width; ++x) {
            const double v = sample_bilinear(data, i, (y + 0.5 - top) / zoom, (x + 0.5 - left) / zoom);
            const double t = std::clamp((v - level + edge) / (2 * edge), 0.0, 1.0);
            const double pen = t * t * (3 - 2 * t);
            image.pixels[static_cast<std::size_t>(y) * image.width + x] = paper + pen * (ink - paper);
        }
    return image;
}

}  // namespace digitnet::testing
