// Each distortion of host/augment against what it must do by construction: the identity leaves an
// image exactly as it was, integer shifts move it exactly, a quarter turn transposes and flips, the
// affine map keeps its pivot, strokes grow and shrink by the width asked, and no value leaves the
// data's range.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "augment_test_data.hpp"
#include "digitnet/augment/augmenter.hpp"
#include "digitnet/augment/example_transform.hpp"
#include "digitnet/errors.hpp"

namespace digitnet {
namespace {

using testing::pixel;
using testing::some_digits;

std::vector<double> transformed(const ExampleTransform& t, const ImageFormat& format, const double* in) {
    std::vector<double> out(static_cast<std::size_t>(format.shape.rows) * format.shape.cols);
    apply_transform(t, format, in, out.data());
    return out;
}

// The centre of mass with every pixel weighing its value above the background (negative too):
// linear in the image, so bilinear resampling moves it exactly with the image.
void linear_centre(const std::vector<double>& x, const ImageFormat& format, double& row, double& col) {
    double mass = 0, sr = 0, sc = 0;
    for (int r = 0; r < format.shape.rows; ++r)
        for (int c = 0; c < format.shape.cols; ++c) {
            const double v = pixel(x.data(), format.shape, r, c) - format.background;
            mass += v, sr += v * (r + 0.5), sc += v * (c + 0.5);
        }
    row = sr / mass, col = sc / mass;
}

TEST(AugmentTransforms, StrengthZeroIsExactlyTheIdentity) {
    const Dataset digits = some_digits(200);
    AugmentOptions options;
    options.strength = 0;
    const Augmenter augmenter(digits, options, 7);
    Dataset out;
    ASSERT_TRUE(augmenter.augment_epoch(3, out));
    EXPECT_EQ(out.X.data, digits.X.data);
    EXPECT_EQ(out.labels, digits.labels);

    // Every range 0 at strength 1 is the identity too.
    AugmentOptions none{0, 0, 0, 0, 0, 4, 0, 1};
    const Augmenter still(digits, none, 7);
    ASSERT_TRUE(still.augment_epoch(5, out));
    EXPECT_EQ(out.X.data, digits.X.data);
}

TEST(AugmentTransforms, IntegerShiftsMoveTheImageExactly) {
    const Dataset digits = some_digits(20);
    const ImageFormat format = image_format_of(digits);
    for (int i = 0; i < digits.examples(); ++i) {
        ExampleTransform t;
        centre_of_mass(digits.X.row(i), format, t.pivot_row, t.pivot_col);
        t.shift_row = 2, t.shift_col = -3;
        const std::vector<double> out = transformed(t, format, digits.X.row(i));
        for (int r = 0; r < 20; ++r)
            for (int c = 0; c < 20; ++c) {
                const int from_r = r - 2, from_c = c + 3;
                const double expected = from_r < 0 || from_c >= 20
                                            ? format.background
                                            : pixel(digits.X.row(i), format.shape, from_r, from_c);
                ASSERT_EQ(pixel(out.data(), format.shape, r, c), expected)
                    << "example " << i << " at " << r << "," << c;
            }
    }
}

TEST(AugmentTransforms, AConstantElasticFieldOfOnePixelIsAShift) {
    const Dataset digits = some_digits(5);
    const ImageFormat format = image_format_of(digits);
    ExampleTransform elastic, shift;
    elastic.elastic_row.assign(400, 1.0);  // read one row further down: the image moves up
    elastic.elastic_col.assign(400, 0.0);
    shift.shift_row = -1;
    for (int i = 0; i < digits.examples(); ++i)
        EXPECT_EQ(transformed(elastic, format, digits.X.row(i)), transformed(shift, format, digits.X.row(i)));
}

TEST(AugmentTransforms, ElasticWithAlphaZeroIsTheIdentity) {
    const Dataset digits = some_digits(50);
    AugmentOptions options{0, 0, 0, 0, /*alpha*/ 0, 4, 0, 1};
    const Augmenter augmenter(digits, options, 3);
    Dataset out;
    ASSERT_TRUE(augmenter.augment_epoch(0, out));
    EXPECT_EQ(out.X.data, digits.X.data);
    // A zero field, given explicitly, too; and a real one changes the digit.
    ExampleTransform zero;
    zero.elastic_row.assign(400, 0.0);
    zero.elastic_col.assign(400, 0.0);
    EXPECT_EQ(transformed(zero, augmenter.format(), digits.X.row(0)),
              std::vector<double>(digits.X.row(0), digits.X.row(0) + 400));
    options.elastic_alpha = 34;
    const Augmenter bent(digits, options, 3);
    const ExampleTransform t = bent.transform(0, 0);
    ASSERT_EQ(t.elastic_row.size(), 400u);
    double largest = 0;
    for (std::size_t k = 0; k < 400; ++k)
        largest = std::max({largest, std::abs(t.elastic_row[k]), std::abs(t.elastic_col[k])});
    // alpha 34 and sigma 4 at 28x28 move pixels by about a pixel and a half at most (Simard's
    // "elastic" setting): scaled to 20x20, by around a pixel.
    EXPECT_GT(largest, 0.3);
    EXPECT_LT(largest, 4.0);
}

TEST(AugmentTransforms, AQuarterTurnAboutTheCentreTransposesAndFlips) {
    const Dataset digits = some_digits(10);
    const ImageFormat format = image_format_of(digits);
    ExampleTransform t;
    t.pivot_row = 10, t.pivot_col = 10;
    t.rotation_degrees = 90;
    for (int i = 0; i < digits.examples(); ++i) {
        const std::vector<double> out = transformed(t, format, digits.X.row(i));
        for (int r = 0; r < 20; ++r)
            for (int c = 0; c < 20; ++c)
                ASSERT_NEAR(pixel(out.data(), format.shape, r, c), pixel(digits.X.row(i), format.shape, 19 - c, r),
                            1e-12)
                    << "example " << i << " at " << r << "," << c;
    }
    // Four quarter turns give the image back.
    std::vector<double> image(digits.X.row(0), digits.X.row(0) + 400);
    for (int k = 0; k < 4; ++k) image = transformed(t, format, image.data());
    for (int j = 0; j < 400; ++j) ASSERT_NEAR(image[j], digits.X(0, j), 1e-12);
}

// Example i of `digits` in the middle of a row-major 28x28 field of background, so that no ink
// reaches the edge (digits20's outer pixels are not all 0).
std::vector<double> padded(const Dataset& digits, int i, double background) {
    std::vector<double> image(28 * 28, background);
    for (int r = 0; r < 20; ++r)
        for (int c = 0; c < 20; ++c) image[(r + 4) * 28 + c + 4] = pixel(digits.X.row(i), digits.image, r, c);
    return image;
}

TEST(AugmentTransforms, TheCentreOfMassMovesWithTheShift) {
    const Dataset digits = some_digits(30);
    const ImageFormat format{ImageShape{28, 28, false}, image_format_of(digits).background,
                             image_format_of(digits).ink};
    for (int i = 0; i < digits.examples(); ++i) {
        const std::vector<double> in = padded(digits, i, format.background);
        double row0, col0;
        linear_centre(in, format, row0, col0);
        ExampleTransform t;
        centre_of_mass(in.data(), format, t.pivot_row, t.pivot_col);
        t.shift_row = 1.3, t.shift_col = -0.7;
        double row1, col1;
        linear_centre(transformed(t, format, in.data()), format, row1, col1);
        EXPECT_NEAR(row1 - row0, 1.3, 1e-9) << "example " << i;
        EXPECT_NEAR(col1 - col0, -0.7, 1e-9) << "example " << i;
        // Turning, scaling and leaning about the centre of mass leave it (nearly) where it was.
        t.shift_row = t.shift_col = 0;
        t.rotation_degrees = 12, t.scale = 1.08, t.shear = 0.15;
        centre_of_mass(transformed(t, format, in.data()).data(), format, row1, col1);
        EXPECT_NEAR(row1, t.pivot_row, 0.15) << "example " << i;
        EXPECT_NEAR(col1, t.pivot_col, 0.15) << "example " << i;
    }
}

// A vertical bar on a row-major 24x24 image: full ink `core` pixels wide, ramps of 2 pixels (ink
// 0.25, 0.75) on each side.
std::vector<double> vertical_bar(int core) {
    std::vector<double> image(24 * 24, 0.0);
    const int left = 12 - core / 2;
    for (int r = 4; r < 20; ++r) {
        for (int c = left; c < left + core; ++c) image[r * 24 + c] = 1.0;
        image[r * 24 + left - 1] = image[r * 24 + left + core] = 0.75;
        image[r * 24 + left - 2] = image[r * 24 + left + core + 1] = 0.25;
    }
    return image;
}

TEST(AugmentTransforms, StrokesGrowAndShrinkByTheWidthAsked) {
    const ImageFormat format{ImageShape{24, 24, false}, 0.0, 1.0};
    const std::vector<double> bar = vertical_bar(4);
    const auto row_ink = [](const std::vector<double>& image, int r) {
        double sum = 0;
        for (int c = 0; c < 24; ++c) sum += image[r * 24 + c];
        return sum;
    };
    for (double stroke : {0.5, -0.5, 0.3, -0.8}) {
        ExampleTransform t;
        t.pivot_row = t.pivot_col = 12;
        t.stroke = stroke;
        const std::vector<double> out = transformed(t, format, bar.data());
        // Each ramp's edge moves by stroke / 2: the row holds stroke more ink (the ramps rise by
        // half an ink a pixel, and each of their four samples moves by stroke / 2 along it).
        EXPECT_NEAR(row_ink(out, 12) - row_ink(bar, 12), stroke, 1e-9) << stroke;
        for (double v : out) ASSERT_TRUE(v >= 0.0 && v <= 1.0);
    }
    // With dark ink on a bright background, widening darkens.
    const ImageFormat dark{ImageShape{24, 24, false}, 1.0, 0.0};
    std::vector<double> inverted = bar;
    for (double& v : inverted) v = 1 - v;
    ExampleTransform t;
    t.stroke = 0.5;
    const std::vector<double> out = transformed(t, dark, inverted.data());
    EXPECT_NEAR(row_ink(out, 12), row_ink(inverted, 12) - 0.5, 1e-9);
}

TEST(AugmentTransforms, ValuesStayWithinTheDataRange) {
    // digits20 overshoots its levels a little (bicubic resampling): clipped to them, the augmented
    // digits stay within; as they are, within the example's own range and the background.
    Dataset digits = some_digits(300);
    const ImageFormat format = image_format_of(digits);
    ASSERT_LT(format.background, format.ink);
    const Dataset raw = digits;
    for (double& v : digits.X.data) v = std::clamp(v, format.background, format.ink);
    AugmentOptions strong;
    strong.strength = 2;
    strong.scale = 0.2;
    Dataset out;
    ASSERT_TRUE(Augmenter(digits, strong, 11).augment_epoch(0, out));
    for (double v : out.X.data) ASSERT_TRUE(v >= format.background && v <= format.ink) << v;

    ASSERT_TRUE(Augmenter(raw, strong, 11).augment_epoch(0, out));
    for (int i = 0; i < raw.examples(); ++i) {
        const double* x = raw.X.row(i);
        const double low = std::min(format.background, *std::min_element(x, x + 400));
        const double high = std::max(format.background, *std::max_element(x, x + 400));
        for (int j = 0; j < 400; ++j) ASSERT_TRUE(out.X(i, j) >= low && out.X(i, j) <= high);
    }
    EXPECT_EQ(out.labels, raw.labels);
    EXPECT_EQ(out.classes, raw.classes);
    EXPECT_EQ(out.label_base, raw.label_base);
}

TEST(AugmentTransforms, DefaultStrengthChangesEveryDigitButKeepsItsInk) {
    const Dataset digits = some_digits(100);
    Dataset out;
    ASSERT_TRUE(Augmenter(digits, AugmentOptions{}, 5).augment_epoch(0, out));
    std::vector<double> ratios;
    for (int i = 0; i < digits.examples(); ++i) {
        double change = 0, ink_in = 0, ink_out = 0;
        for (int j = 0; j < 400; ++j) {
            change += std::abs(out.X(i, j) - digits.X(i, j));
            ink_in += std::max(0.0, digits.X(i, j));
            ink_out += std::max(0.0, out.X(i, j));
        }
        EXPECT_GT(change, 1.0) << "example " << i;
        // Scale 0.9..1.1 (area 0.81..1.21) and strokes +-0.5 pixels on strokes 1.7 wide (0.7..1.3):
        // nothing is lost or doubled...
        EXPECT_GT(ink_out / ink_in, 0.4) << "example " << i;
        EXPECT_LT(ink_out / ink_in, 2.0) << "example " << i;
        ratios.push_back(ink_out / ink_in);
    }
    // ... and the typical digit keeps its amount of ink (the dilation also lifts digits20's
    // negative overshoot beside the strokes: a little above 1).
    std::nth_element(ratios.begin(), ratios.begin() + 50, ratios.end());
    EXPECT_NEAR(ratios[50], 1.0, 0.2);
}

TEST(AugmentTransforms, RefusesDataThatIsNotAnImageAndBadOptions) {
    Dataset flat = some_digits(10);
    flat.image = ImageShape{};
    EXPECT_THROW(Augmenter(flat, AugmentOptions{}, 1), InputError);
    const Dataset digits = some_digits(10);
    AugmentOptions bad;
    bad.rotation = -1;
    EXPECT_THROW(Augmenter(digits, bad, 1), InputError);
    bad = AugmentOptions{};
    bad.strength = std::nan("");
    EXPECT_THROW(Augmenter(digits, bad, 1), InputError);
    bad = AugmentOptions{};
    bad.strength = 10;  // scale 0.1 * 10: a digit shrunk to nothing
    EXPECT_THROW(Augmenter(digits, bad, 1), InputError);
    bad = AugmentOptions{};
    bad.elastic_sigma = 0;
    EXPECT_THROW(Augmenter(digits, bad, 1), InputError);
}

}  // namespace
}  // namespace digitnet
