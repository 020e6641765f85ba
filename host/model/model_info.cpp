#include "digitnet/model/model_info.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "digitnet/errors.hpp"
#include "digitnet/model/stroke_width.hpp"

namespace digitnet {

namespace {

// MNIST's digits are scaled to fit 20 pixels of a 28-pixel field.
void set_mnist_digit_box(ModelInfo& info) {
    if (info.image.rows == 0) return;
    info.digit_box = std::min(info.image.rows, info.image.cols) * 20.0 / 28.0;
    info.centre_row = info.image.rows / 2.0;
    info.centre_col = info.image.cols / 2.0;
}

// The longest side of example x's ink bounding box, and its centre of mass (weights: how far
// each pixel is above the background, in units of ink - background). False when it has no ink.
bool measure_digit(const double* x, const ModelInfo& info, double& side, double& row, double& col) {
    const ImageShape& shape = info.image;
    int top = shape.rows, bottom = -1, left = shape.cols, right = -1;
    double mass = 0.0, sum_row = 0.0, sum_col = 0.0;
    for (int r = 0; r < shape.rows; ++r)
        for (int c = 0; c < shape.cols; ++c) {
            const double v = (x[shape.column_major ? c * shape.rows + r : r * shape.cols + c] - info.background) /
                             (info.ink - info.background);
            if (v <= 0) continue;
            mass += v;
            sum_row += v * (r + 0.5);
            sum_col += v * (c + 0.5);
            if (v < kInkThreshold) continue;
            top = std::min(top, r), bottom = std::max(bottom, r);
            left = std::min(left, c), right = std::max(right, c);
        }
    if (bottom < 0 || mass <= 0) return false;
    side = std::max(bottom - top + 1, right - left + 1);
    row = sum_row / mass;
    col = sum_col / mass;
    return true;
}

// The width of example x's strokes in input pixels, measured on the digit upsampled four times
// (bilinear between pixel centres), where the strokes are several pixels wide and the estimate is
// as a picture's would be.
double stroke_width_of_example(const double* x, const ModelInfo& info) {
    const ImageShape& shape = info.image;
    constexpr int kUp = 4;
    const auto value = [&](int r, int c) {
        if (r < 0 || c < 0 || r >= shape.rows || c >= shape.cols) return 0.0;
        return (x[shape.column_major ? c * shape.rows + r : r * shape.cols + c] - info.background) /
               (info.ink - info.background);
    };
    InkImage up{shape.cols * kUp, shape.rows * kUp, std::vector<double>()};
    up.ink.resize(static_cast<std::size_t>(up.width) * up.height);
    for (int y = 0; y < up.height; ++y)
        for (int x_ = 0; x_ < up.width; ++x_) {
            const double fy = (y + 0.5) / kUp - 0.5, fx = (x_ + 0.5) / kUp - 0.5;
            const int r = static_cast<int>(std::floor(fy)), c = static_cast<int>(std::floor(fx));
            const double wy = fy - r, wx = fx - c;
            up.ink[static_cast<std::size_t>(y) * up.width + x_] =
                (1 - wy) * ((1 - wx) * value(r, c) + wx * value(r, c + 1)) +
                wy * ((1 - wx) * value(r + 1, c) + wx * value(r + 1, c + 1));
        }
    return stroke_width(up) / kUp;
}

}  // namespace

void check_model_info(const ModelInfo& info, int inputs, const std::string& where) {
    if (info.label_base != 0 && info.label_base != 1)
        throw InputError(where + ": label_base is " + std::to_string(info.label_base) +
                         ", expected 1 (labels 1..K, the ex4 convention) or 0 (labels are the digits)");
    const ImageShape& image = info.image;
    if (image.rows < 0 || image.cols < 0 || (image.rows == 0) != (image.cols == 0) ||
        (image.rows > 0 && static_cast<long long>(image.rows) * image.cols != inputs))
        throw InputError(where + ": the image is " + std::to_string(image.rows) + " x " + std::to_string(image.cols) +
                         " but the model takes " + std::to_string(inputs) + " inputs");
    if (!std::isfinite(info.background) || !std::isfinite(info.ink) || info.background == info.ink)
        throw InputError(where + ": the pixel levels (background " + std::to_string(info.background) + ", ink " +
                         std::to_string(info.ink) + ") must be two different finite numbers");
    if (info.digit_box == 0 || image.rows == 0) return;  // no digit box, or not an image (then unused)
    const auto inside = [](double v, int most) { return std::isfinite(v) && v > 0 && v <= most; };
    if (!inside(info.digit_box, std::max(image.rows, image.cols)) || !inside(info.centre_row, image.rows) ||
        !inside(info.centre_col, image.cols))
        throw InputError(where + ": the digit box (size " + std::to_string(info.digit_box) + ", centre " +
                         std::to_string(info.centre_row) + ", " + std::to_string(info.centre_col) +
                         ") must lie inside the image");
}

ModelInfo default_model_info(int inputs) {
    ModelInfo info;
    info.image = square_image(inputs, /*column_major=*/true);
    set_mnist_digit_box(info);
    return info;
}

ModelInfo model_info_for(const Dataset& train) {
    ModelInfo info;
    info.label_base = train.label_base;
    info.image = train.image;
    // Sample at most ~1000 examples: the levels are statistics, not sums.
    const int step = std::max(1, train.examples() / 1000);
    std::vector<double> pixels;
    std::map<double, int> border_counts;
    for (int i = 0; i < train.examples(); i += step) {
        const double* x = train.X.row(i);
        pixels.insert(pixels.end(), x, x + train.features());
        if (info.image.rows == 0) continue;
        for (int r = 0; r < info.image.rows; ++r)
            for (int c = 0; c < info.image.cols; ++c) {
                if (r != 0 && c != 0 && r != info.image.rows - 1 && c != info.image.cols - 1) continue;
                const int index = info.image.column_major ? c * info.image.rows + r : r * info.image.cols + c;
                ++border_counts[x[index]];
            }
    }
    if (pixels.empty()) return info;
    const auto percentile = [&](double p) {
        std::vector<double> sorted = pixels;
        const auto k = static_cast<std::ptrdiff_t>(p * double(sorted.size() - 1));
        std::nth_element(sorted.begin(), sorted.begin() + k, sorted.end());
        return sorted[static_cast<std::size_t>(k)];
    };
    if (!border_counts.empty())
        info.background =
            std::max_element(border_counts.begin(), border_counts.end(), [](const auto& a, const auto& b) {
                return a.second < b.second;
            })->first;
    else
        info.background = percentile(0.5);
    info.ink = percentile(0.99);
    if (info.ink == info.background) info.ink = info.background + 1.0;

    set_mnist_digit_box(info);
    if (info.image.rows == 0) return info;
    std::vector<double> sides, strokes;
    double sum_row = 0.0, sum_col = 0.0;
    for (int i = 0; i < train.examples(); i += step) {
        double side = 0, row = 0, col = 0;
        if (!measure_digit(train.X.row(i), info, side, row, col)) continue;
        sides.push_back(side);
        sum_row += row;
        sum_col += col;
        if (const double w = stroke_width_of_example(train.X.row(i), info); w > 0) strokes.push_back(w);
    }
    if (sides.empty()) return info;
    std::nth_element(sides.begin(), sides.begin() + sides.size() / 2, sides.end());
    info.digit_box = sides[sides.size() / 2];
    if (!strokes.empty()) {
        std::nth_element(strokes.begin(), strokes.begin() + strokes.size() / 2, strokes.end());
        info.stroke_width = strokes[strokes.size() / 2];
    }
    info.centre_row = sum_row / double(sides.size());
    info.centre_col = sum_col / double(sides.size());
    return info;
}

double stroke_width_of(const ModelInfo& info) {
    return info.stroke_width > 0 ? info.stroke_width : kStrokeToBox * info.digit_box;
}

}  // namespace digitnet
