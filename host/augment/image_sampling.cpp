#include "image_sampling.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace digitnet::augment_detail {

FramedImage frame_image(const double* image, const ImageFormat& format, int pad) {
    const ImageShape& shape = format.shape;
    FramedImage framed;
    framed.rows = shape.rows, framed.cols = shape.cols, framed.pad = pad, framed.width = shape.cols + 2 * pad;
    framed.background = framed.low = framed.high = format.background;
    framed.values.assign(static_cast<std::size_t>(framed.width) * (shape.rows + 2 * pad), format.background);
    for (int r = 0; r < shape.rows; ++r)
        for (int c = 0; c < shape.cols; ++c) {
            const double v = image[pixel_index(shape, r, c)];
            framed.values[static_cast<std::size_t>(r + pad) * framed.width + c + pad] = v;
            framed.low = std::min(framed.low, v), framed.high = std::max(framed.high, v);
        }
    return framed;
}

double sample_bilinear(const FramedImage& image, double y, double x) {
    const double fy = y - 0.5, fx = x - 0.5;
    const double top = std::floor(fy), left = std::floor(fx);
    // Compared as doubles: a point far outside must not overflow an int.
    if (!(top >= -1 && left >= -1 && top < image.rows && left < image.cols)) return image.background;
    const double wy = fy - top, wx = fx - left;
    const double* p = image.at(static_cast<int>(top), static_cast<int>(left));
    const double a = p[0], b = p[1], d = p[image.width], e = p[image.width + 1];
    const double value = (1 - wy) * ((1 - wx) * a + wx * b) + wy * ((1 - wx) * d + wx * e);
    return std::clamp(value, std::min(std::min(a, b), std::min(d, e)), std::max(std::max(a, b), std::max(d, e)));
}

void dilate_disc(const double* image, const ImageFormat& format, double radius, bool erode, double* out) {
    const ImageShape& shape = format.shape;
    // More ink is a larger value when the ink is brighter than the background.
    const bool take_larger = (format.ink >= format.background) != erode;
    const FramedImage framed = frame_image(image, format, 2);  // radius <= 1 (validate_augment_options)
    const int width = framed.width;
    struct Stencil {
        std::ptrdiff_t offset;  // of the top-left of the 2x2 from the pixel
        double w00, w01, w10, w11;
    };
    const double diagonal = radius / std::sqrt(2.0);
    const double rim[8][2] = {{radius, 0},           {-radius, 0},          {0, radius},
                              {0, -radius},          {diagonal, diagonal},  {diagonal, -diagonal},
                              {-diagonal, diagonal}, {-diagonal, -diagonal}};
    Stencil stencils[8];
    for (int k = 0; k < 8; ++k) {
        const double top = std::floor(rim[k][0]), left = std::floor(rim[k][1]);
        const double wy = rim[k][0] - top, wx = rim[k][1] - left;
        stencils[k] = {static_cast<std::ptrdiff_t>(top) * width + static_cast<std::ptrdiff_t>(left),
                       (1 - wy) * (1 - wx), (1 - wy) * wx, wy * (1 - wx), wy * wx};
    }
    for (int r = 0; r < shape.rows; ++r)
        for (int c = 0; c < shape.cols; ++c) {
            const double* centre = framed.at(r, c);
            double best = *centre;
            for (const Stencil& s : stencils) {
                const double* p = centre + s.offset;
                const double v = s.w00 * p[0] + s.w01 * p[1] + s.w10 * p[width] + s.w11 * p[width + 1];
                best = take_larger ? std::max(best, v) : std::min(best, v);
            }
            // The weights' sum may round an ulp from 1: keep within the image's range.
            out[pixel_index(shape, r, c)] = std::clamp(best, framed.low, framed.high);
        }
}

}  // namespace digitnet::augment_detail
