#include "digitnet/augment/example_transform.hpp"

#include <cmath>
#include <numbers>

#include "digitnet/errors.hpp"
#include "digitnet/model/model_info.hpp"
#include "elastic_field.hpp"
#include "image_sampling.hpp"

namespace digitnet {

using augment_detail::pixel_index;

namespace {

// Simard et al.'s alpha and sigma are for 28x28 MNIST digits.
constexpr double kReferenceSide = 28.0;

}  // namespace

ImageFormat image_format_of(const Dataset& data) {
    if (data.image.rows <= 0 || data.image.cols <= 0 || data.image.rows * data.image.cols != data.features())
        throw InputError((data.source.empty() ? std::string("the data") : data.source) +
                         ": augmentation needs image-shaped examples, and these " + std::to_string(data.features()) +
                         " features are not a square image");
    const ModelInfo info = model_info_for(data);
    return ImageFormat{data.image, info.background, info.ink};
}

void centre_of_mass(const double* example, const ImageFormat& format, double& row, double& col) {
    const ImageShape& shape = format.shape;
    double mass = 0, sum_row = 0, sum_col = 0;
    for (int r = 0; r < shape.rows; ++r)
        for (int c = 0; c < shape.cols; ++c) {
            const double v = (example[pixel_index(shape, r, c)] - format.background) / (format.ink - format.background);
            if (!(v > 0)) continue;
            mass += v;
            sum_row += v * (r + 0.5);
            sum_col += v * (c + 0.5);
        }
    row = mass > 0 ? sum_row / mass : shape.rows / 2.0;
    col = mass > 0 ? sum_col / mass : shape.cols / 2.0;
}

ExampleTransform draw_transform(const AugmentOptions& options, const ImageFormat& format, const double* example,
                                CounterRandom& random) {
    const double strength = options.strength;
    ExampleTransform t;
    centre_of_mass(example, format, t.pivot_row, t.pivot_col);
    // Always the same numbers in the same order, whichever ranges are 0.
    t.shift_row = random.symmetric(options.shift * strength);
    t.shift_col = random.symmetric(options.shift * strength);
    t.rotation_degrees = random.symmetric(options.rotation * strength);
    t.scale = 1 + random.symmetric(options.scale * strength);
    t.shear = random.symmetric(options.shear * strength);
    t.stroke = random.symmetric(options.stroke * strength);
    const double side = (format.shape.rows + format.shape.cols) / 2.0;
    const double alpha = options.elastic_alpha * strength * (side / kReferenceSide) * (side / kReferenceSide);
    if (alpha > 0)
        augment_detail::elastic_field(format.shape.rows, format.shape.cols, alpha,
                                      options.elastic_sigma * side / kReferenceSide, random, t.elastic_row,
                                      t.elastic_col);
    return t;
}

void apply_transform(const ExampleTransform& t, const ImageFormat& format, const double* in, double* out) {
    const ImageShape& shape = format.shape;
    const std::size_t n = static_cast<std::size_t>(shape.rows) * shape.cols;
    std::vector<double> stroked;
    const double* source = in;
    if (t.stroke != 0) {
        stroked.resize(n);
        augment_detail::dilate_square(in, format, std::abs(t.stroke) / 2, t.stroke < 0, stroked.data());
        source = stroked.data();
    }
    const augment_detail::FramedImage framed = augment_detail::frame_image(source, format, 1);
    const double angle = t.rotation_degrees * std::numbers::pi / 180;
    const double cosine = std::cos(angle), sine = std::sin(angle);
    const bool elastic = t.elastic_row.size() == n && t.elastic_col.size() == n;
    for (int r = 0; r < shape.rows; ++r)
        for (int c = 0; c < shape.cols; ++c) {
            // The inverse of pivot + shift + R H scale (p - pivot), as a displacement from the output
            // point: with the identity every term is exactly 0, so the image is read exactly at its
            // pixel centres (and an integer shift exactly at others').
            const double dy = r + 0.5 - t.pivot_row - t.shift_row, dx = c + 0.5 - t.pivot_col - t.shift_col;
            const double x1 = cosine * dx + sine * dy, y1 = -sine * dx + cosine * dy;
            const double x2 = (x1 - t.shear * y1) / t.scale, y2 = y1 / t.scale;
            double y = r + 0.5 + ((y2 - dy) - t.shift_row), x = c + 0.5 + ((x2 - dx) - t.shift_col);
            if (elastic) {
                y += t.elastic_row[static_cast<std::size_t>(r) * shape.cols + c];
                x += t.elastic_col[static_cast<std::size_t>(r) * shape.cols + c];
            }
            out[pixel_index(shape, r, c)] = augment_detail::sample_bilinear(framed, y, x);
        }
}

}  // namespace digitnet
