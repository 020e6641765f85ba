// The stroke width estimate and the stroke widening that lets pictures drawn with any pen be read
// as the training digits (host/model/stroke_width.cpp), against plain measurements.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "digitnet/model/stroke_width.hpp"

namespace digitnet {
namespace {

// A bar `width` pixels wide and `length` long through the centre of a square canvas, at `degrees`
// from the horizontal, with one pixel of antialiasing at its sides.
InkImage bar(int side, double width, double length, double degrees) {
    InkImage image{side, side, std::vector<double>(static_cast<std::size_t>(side) * side, 0.0)};
    const double a = degrees * std::acos(-1.0) / 180, dy = std::sin(a), dx = std::cos(a);
    for (int y = 0; y < side; ++y)
        for (int x = 0; x < side; ++x) {
            const double py = y + 0.5 - side / 2.0, px = x + 0.5 - side / 2.0;
            const double along = py * dy + px * dx, across = std::abs(-py * dx + px * dy);
            if (std::abs(along) > length / 2) continue;
            image.ink[static_cast<std::size_t>(y) * side + x] = std::clamp(width / 2 + 0.5 - across, 0.0, 1.0);
        }
    return image;
}

TEST(StrokeWidth, BarsMeasureTheirWidthAtAnyAngle) {
    for (double width : {2.0, 5.0, 9.0})
        for (double degrees : {0.0, 20.0, 45.0, 70.0, 90.0}) {
            const double measured = stroke_width(bar(300, width, 240, degrees));
            // The ends add their own perimeter (2 w of 2 L): the estimate runs a few percent low.
            EXPECT_NEAR(measured, width, 0.15 * width + 0.3) << width << " pixels at " << degrees << " degrees";
        }
}

TEST(StrokeWidth, ABlankImageHasNoStrokes) {
    EXPECT_EQ(stroke_width(InkImage{10, 10, std::vector<double>(100, 0.0)}), 0.0);
}

TEST(StrokeWidth, WideningABarAddsToItsWidth) {
    for (double degrees : {0.0, 30.0}) {
        const InkImage thin = bar(300, 3, 240, degrees);
        const double before = stroke_width(thin);
        EXPECT_NEAR(stroke_width(widen_strokes(thin, 6.0)) - before, 6.0, 1.0) << degrees;
        EXPECT_NEAR(stroke_width(widen_strokes(bar(300, 11, 240, degrees), -6.0)), 5.0, 1.2) << degrees;
    }
}

// widen_strokes against the definition, by brute force: each pixel's distance to the nearest ink
// (or paper) pixel centre, searched over the whole image and the paper around it.
TEST(StrokeWidth, WideningIsTheExactDistanceToTheInksEdge) {
    std::mt19937 random(7);
    InkImage image{37, 23, std::vector<double>(37 * 23)};
    for (double& v : image.ink) v = (random() % 5 == 0) ? 1.0 : 0.0;
    for (double grow : {-1.5, 0.0, 2.0, 5.0}) {
        const InkImage out = widen_strokes(image, grow);
        for (int y = 0; y < image.height; ++y)
            for (int x = 0; x < image.width; ++x) {
                const bool ink = image.at(y, x) >= 0.5;
                double nearest = 1e9;
                for (int yy = 0; yy < image.height; ++yy)
                    for (int xx = 0; xx < image.width; ++xx)
                        if ((image.at(yy, xx) >= 0.5) != ink) nearest = std::min(nearest, std::hypot(yy - y, xx - x));
                if (ink)  // beyond the image is paper
                    nearest = std::min({nearest, y + 1.0, x + 1.0, double(image.height - y), double(image.width - x)});
                const double inside = ink ? nearest - 0.5 : 0.5 - nearest;
                ASSERT_NEAR(out.at(y, x), std::clamp(inside + grow / 2 + 0.5, 0.0, 1.0), 1e-12)
                    << "pixel " << y << ", " << x << ", grow " << grow;
            }
    }
}

}  // namespace
}  // namespace digitnet
