#include "image_sampling.hpp"

#include <algorithm>
#include <cmath>

namespace digitnet::augment_detail {

double sample_bilinear(const double* image, const ImageFormat& format, double y, double x) {
    const ImageShape& shape = format.shape;
    const double fy = y - 0.5, fx = x - 0.5;
    const double top = std::floor(fy), left = std::floor(fx);
    // Compared as doubles: a point far outside must not overflow an int.
    if (!(top >= -1 && left >= -1 && top < shape.rows && left < shape.cols)) return format.background;
    const int r = static_cast<int>(top), c = static_cast<int>(left);
    const double wy = fy - top, wx = fx - left;
    const auto at = [&](int rr, int cc) {
        return rr < 0 || cc < 0 || rr >= shape.rows || cc >= shape.cols ? format.background
                                                                        : image[pixel_index(shape, rr, cc)];
    };
    const double a = at(r, c), b = at(r, c + 1), d = at(r + 1, c), e = at(r + 1, c + 1);
    const double value = (1 - wy) * ((1 - wx) * a + wx * b) + wy * ((1 - wx) * d + wx * e);
    return std::clamp(value, std::min({a, b, d, e}), std::max({a, b, d, e}));
}

void dilate_disc(const double* image, const ImageFormat& format, double radius, bool erode, double* out) {
    const ImageShape& shape = format.shape;
    // More ink is a larger value when the ink is brighter than the background.
    const bool take_larger = (format.ink >= format.background) != erode;
    const double diagonal = radius / std::sqrt(2.0);
    const double offsets[8][2] = {{radius, 0},           {-radius, 0},          {0, radius},
                                  {0, -radius},          {diagonal, diagonal},  {diagonal, -diagonal},
                                  {-diagonal, diagonal}, {-diagonal, -diagonal}};
    for (int r = 0; r < shape.rows; ++r)
        for (int c = 0; c < shape.cols; ++c) {
            double best = image[pixel_index(shape, r, c)];
            for (const auto& offset : offsets) {
                const double v = sample_bilinear(image, format, r + 0.5 + offset[0], c + 0.5 + offset[1]);
                best = take_larger ? std::max(best, v) : std::min(best, v);
            }
            out[pixel_index(shape, r, c)] = best;
        }
}

}  // namespace digitnet::augment_detail
