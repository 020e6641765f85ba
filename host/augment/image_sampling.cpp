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
    // Compared as doubles first: a point far outside must not overflow an int (NaN goes outside).
    if (!(fy >= -1 && fx >= -1 && fy < image.rows && fx < image.cols)) return image.background;
    // floor, without the library call (x86-64's baseline has no rounding instruction): exact here.
    const int top = static_cast<int>(fy) - (fy < static_cast<int>(fy) ? 1 : 0);
    const int left = static_cast<int>(fx) - (fx < static_cast<int>(fx) ? 1 : 0);
    const double wy = fy - top, wx = fx - left;
    const double* p = image.at(top, left);
    const double a = p[0], b = p[1], d = p[image.width], e = p[image.width + 1];
    const double value = (1 - wy) * ((1 - wx) * a + wx * b) + wy * ((1 - wx) * d + wx * e);
    return std::clamp(value, std::min(std::min(a, b), std::min(d, e)), std::max(std::max(a, b), std::max(d, e)));
}

void dilate_square(const double* image, const ImageFormat& format, double radius, bool erode, double* out) {
    const ImageShape& shape = format.shape;
    // More ink is a larger value when the ink is brighter than the background.
    const bool take_larger = (format.ink >= format.background) != erode;
    const auto best = [take_larger](double a, double b) { return take_larger ? std::max(a, b) : std::min(a, b); };
    // Along a line, the linear interpolation between pixel centres is highest over [x - radius,
    // x + radius] (radius <= 1) at x itself or at an end: three values per pixel and pass.
    const auto pass = [&](const FramedImage& in, std::ptrdiff_t step, FramedImage& result) {
        for (int r = 0; r < in.rows; ++r)
            for (int c = 0; c < in.cols; ++c) {
                const double* p = in.at(r, c);
                const double centre = *p;
                const double ahead = centre + radius * (p[step] - centre),
                             behind = centre + radius * (p[-step] - centre);
                result.values[static_cast<std::size_t>(p - in.values.data())] =
                    std::clamp(best(centre, best(ahead, behind)), in.low, in.high);
            }
    };
    const FramedImage framed = frame_image(image, format, 1);  // radius <= 1 (validate_augment_options)
    FramedImage across = framed;
    pass(framed, 1, across);
    FramedImage both = across;
    pass(across, across.width, both);
    for (int r = 0; r < shape.rows; ++r)
        for (int c = 0; c < shape.cols; ++c) out[pixel_index(shape, r, c)] = *both.at(r, c);
}

}  // namespace digitnet::augment_detail
