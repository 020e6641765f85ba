#pragma once
// Reading an image between its pixels: bilinear interpolation and the grey dilation built on it.
// Private to host/augment.
#include <cstddef>
#include <vector>

#include "digitnet/augment/example_transform.hpp"

namespace digitnet::augment_detail {

inline std::size_t pixel_index(const ImageShape& shape, int r, int c) {
    return shape.column_major ? static_cast<std::size_t>(c) * shape.rows + r
                              : static_cast<std::size_t>(r) * shape.cols + c;
}

// An image row-major inside a frame of background `pad` pixels wide, so that reading next to a
// pixel needs no test for the edges; with the range of its values (the background included).
struct FramedImage {
    int rows = 0, cols = 0, pad = 0, width = 0;
    double background = 0.0, low = 0.0, high = 0.0;
    std::vector<double> values;
    const double* at(int r, int c) const {
        return values.data() + static_cast<std::ptrdiff_t>(r + pad) * width + (c + pad);
    }
};
FramedImage frame_image(const double* image, const ImageFormat& format, int pad);

// The image at point (y, x) (pixel centres at r + 0.5, c + 0.5), bilinear between the four
// nearest pixel centres, the background beyond the image (needs pad >= 1). The result lies between
// the smallest and largest of the four values (clamped: rounding may otherwise leave it an ulp
// outside); at a pixel centre it is exactly that pixel.
double sample_bilinear(const FramedImage& image, double y, double x);

// Grey dilation of the image by a square of half-side `radius` pixels (at most 1): along the rows,
// then along the columns, each pixel takes the most inked value of the linear interpolation
// between pixel centres within `radius` of it, so strokes grow by 2 radius in width (upright ones
// exactly); with `erode`, the least inked, and they shrink. Writes out (features values), within
// the range of the image's values and the background.
void dilate_square(const double* image, const ImageFormat& format, double radius, bool erode, double* out);

}  // namespace digitnet::augment_detail
