#include "digitnet/io/image_input.hpp"

#include <algorithm>
#include <cmath>

#include "digitnet/errors.hpp"

namespace digitnet {

namespace {

// Area-average resampling: each target pixel is the mean of the source area it covers, with
// partial source pixels weighted by their overlap. Works for shrinking and enlarging alike.
std::vector<double> resample(const GrayImage& source, int rows, int cols) {
    std::vector<double> out(static_cast<std::size_t>(rows) * cols, 0.0);
    const double scale_y = double(source.height) / rows, scale_x = double(source.width) / cols;
    for (int r = 0; r < rows; ++r) {
        const double y0 = r * scale_y, y1 = (r + 1) * scale_y;
        for (int c = 0; c < cols; ++c) {
            const double x0 = c * scale_x, x1 = (c + 1) * scale_x;
            double sum = 0.0, weight = 0.0;
            for (int sy = static_cast<int>(y0); sy < std::min(source.height, static_cast<int>(std::ceil(y1))); ++sy) {
                const double wy = std::min(y1, sy + 1.0) - std::max(y0, double(sy));
                for (int sx = static_cast<int>(x0); sx < std::min(source.width, static_cast<int>(std::ceil(x1))); ++sx) {
                    const double w = wy * (std::min(x1, sx + 1.0) - std::max(x0, double(sx)));
                    sum += w * source.pixels[static_cast<std::size_t>(sy) * source.width + sx];
                    weight += w;
                }
            }
            out[static_cast<std::size_t>(r) * cols + c] = weight > 0 ? sum / weight : 0.0;
        }
    }
    return out;
}

}  // namespace

std::vector<double> image_to_input(const GrayImage& picture, const ModelInfo& info) {
    const int rows = info.image.rows, cols = info.image.cols;
    if (rows <= 0 || cols <= 0) throw InputError("the model's inputs are not an image, so a picture cannot be fed to it");
    std::vector<double> grey = resample(picture, rows, cols);

    double border = 0.0;
    int border_count = 0;
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c)
            if (r == 0 || c == 0 || r == rows - 1 || c == cols - 1) {
                border += grey[static_cast<std::size_t>(r) * cols + c];
                ++border_count;
            }
    if (border / border_count > 0.5)
        for (double& v : grey) v = 1.0 - v;

    const auto [low, high] = std::minmax_element(grey.begin(), grey.end());
    const double lo = *low, span = *high - *low;
    std::vector<double> input(grey.size());
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) {
            const double v = span > 0 ? (grey[static_cast<std::size_t>(r) * cols + c] - lo) / span : 0.0;
            const int index = info.image.column_major ? c * rows + r : r * cols + c;
            input[static_cast<std::size_t>(index)] = info.background + v * (info.ink - info.background);
        }
    return input;
}

}  // namespace digitnet
