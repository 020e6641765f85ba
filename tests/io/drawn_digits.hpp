#pragma once
// A second, independent way to draw test digits, as a person with a pen would: the stored digit's
// strokes are thinned to their centre lines, and those lines are drawn again with a round pen of
// any width on a canvas of any size, tilted and sheared, then noise, blur and 8-bit rounding as a
// camera or a JPEG would leave them. It shares nothing with redrawn_digits.hpp (which redraws the
// digit's own level sets), so a conversion tuned to one generator is checked by the other.
#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "digitnet/io/png_image.hpp"
#include "digitnet/model/dataset.hpp"

namespace digitnet::testing {

// The stored digit's strokes as centre lines: example i upsampled `up` times (bilinear), cut at
// half ink, and thinned (Zhang & Suen 1984) to one pixel wide. Returns the line segments between
// 8-connected skeleton pixels, in source-pixel coordinates (pixel (r, c) covers [r, r+1) x [c, c+1)).
struct Segment {
    double y0, x0, y1, x1;
};

inline std::vector<Segment> stroke_centre_lines(const Dataset& data, int i, int up = 4) {
    const int rows = data.image.rows, cols = data.image.cols;
    const auto pixel = [&](int r, int c) {
        if (r < 0 || c < 0 || r >= rows || c >= cols) return 0.0;
        return data.X(i, data.image.column_major ? c * rows + r : r * cols + c);
    };
    const int h = rows * up + 2, w = cols * up + 2;  // a blank frame around the digit
    std::vector<unsigned char> on(static_cast<std::size_t>(h) * w, 0);
    for (int y = 1; y < h - 1; ++y)
        for (int x = 1; x < w - 1; ++x) {
            const double fy = (y - 1 + 0.5) / up - 0.5, fx = (x - 1 + 0.5) / up - 0.5;
            const int r0 = static_cast<int>(std::floor(fy)), c0 = static_cast<int>(std::floor(fx));
            const double wy = fy - r0, wx = fx - c0;
            const double v = (1 - wy) * ((1 - wx) * pixel(r0, c0) + wx * pixel(r0, c0 + 1)) +
                             wy * ((1 - wx) * pixel(r0 + 1, c0) + wx * pixel(r0 + 1, c0 + 1));
            on[static_cast<std::size_t>(y) * w + x] = v >= 0.5 ? 1 : 0;
        }
    const auto at = [&](int y, int x) -> int { return on[static_cast<std::size_t>(y) * w + x]; };
    for (bool changed = true; changed;) {
        changed = false;
        for (int pass = 0; pass < 2; ++pass) {
            std::vector<std::size_t> removed;
            for (int y = 1; y < h - 1; ++y)
                for (int x = 1; x < w - 1; ++x) {
                    if (!at(y, x)) continue;
                    // Neighbours P2..P9 clockwise from north.
                    const int p[8] = {at(y - 1, x), at(y - 1, x + 1), at(y, x + 1), at(y + 1, x + 1),
                                      at(y + 1, x), at(y + 1, x - 1), at(y, x - 1), at(y - 1, x - 1)};
                    int count = 0, transitions = 0;
                    for (int k = 0; k < 8; ++k) {
                        count += p[k];
                        transitions += (p[k] == 0 && p[(k + 1) % 8] == 1) ? 1 : 0;
                    }
                    if (count < 2 || count > 6 || transitions != 1) continue;
                    const bool first = pass == 0;
                    const int a = p[0] * p[2] * (first ? p[4] : p[6]);
                    const int b = p[2] * p[4] * p[6];
                    const int b2 = p[0] * p[4] * p[6];
                    if (a == 0 && (first ? b : b2) == 0) removed.push_back(static_cast<std::size_t>(y) * w + x);
                }
            for (std::size_t k : removed) on[k] = 0;
            changed = changed || !removed.empty();
        }
    }
    std::vector<Segment> lines;
    const auto source = [&](int v) { return (v - 1 + 0.5) / up; };
    for (int y = 1; y < h - 1; ++y)
        for (int x = 1; x < w - 1; ++x) {
            if (!at(y, x)) continue;
            // Each neighbour pair once: east, south-east, south, south-west; a lone pixel is a dot.
            bool alone = true;
            const int dy[4] = {0, 1, 1, 1}, dx[4] = {1, 1, 0, -1};
            for (int k = 0; k < 4; ++k)
                if (at(y + dy[k], x + dx[k])) {
                    lines.push_back({source(y), source(x), source(y + dy[k]), source(x + dx[k])});
                    alone = false;
                }
            if (alone && !at(y - 1, x - 1) && !at(y - 1, x) && !at(y - 1, x + 1) && !at(y, x - 1))
                lines.push_back({source(y), source(x), source(y), source(x)});
        }
    return lines;
}

// How one drawing was made, for reporting which kinds of drawing lose.
struct Drawing {
    GrayImage image;
    double digit_height = 0;  // canvas pixels
    double pen_width = 0;     // canvas pixels
    bool big_canvas() const { return std::min(image.width, image.height) >= 200; }
    bool thin_pen() const { return pen_width < 0.06 * digit_height; }
};

// Example i drawn with a pen: canvas 48..640 pixels a side (either shape), the digit 30% to 80% of
// its shorter side tall, tilted up to 8 degrees and sheared up to 0.1 (a photo's skew: the digit's
// own slant is its writer's, already in the stored digit), a pen 3% to 16% of the
// digit's height wide (at least 1.2 pixels), either polarity at random grey levels; then Gaussian
// noise (sigma up to 0.05), a box blur in half of the drawings, and 8-bit levels.
inline Drawing pen_drawn_digit(const Dataset& data, int i, std::mt19937& random) {
    const auto uniform = [&](double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(random); };
    const std::vector<Segment> lines = stroke_centre_lines(data, i);
    Drawing drawing;
    GrayImage& image = drawing.image;
    image.width = static_cast<int>(uniform(48, 640));
    image.height = static_cast<int>(uniform(48, 640));
    drawing.digit_height = uniform(0.3, 0.8) * std::min(image.width, image.height);
    drawing.pen_width = std::max(1.2, uniform(0.03, 0.16) * drawing.digit_height);
    const double zoom = drawing.digit_height / 14.0;  // the stored digit's ink spans about 14 pixels
    const double tilt = uniform(-8, 8) * 3.14159265358979 / 180, shear = uniform(-0.1, 0.1);
    const double centre_y = image.height * uniform(0.35, 0.65), centre_x = image.width * uniform(0.35, 0.65);
    const double source_centre = data.image.rows / 2.0;
    const auto place = [&](double y, double x, double& out_y, double& out_x) {
        const double sy = (y - source_centre) * zoom,
                     sx = (x - source_centre) * zoom + shear * (y - source_centre) * zoom;
        out_y = centre_y + std::cos(tilt) * sy + std::sin(tilt) * sx;
        out_x = centre_x - std::sin(tilt) * sy + std::cos(tilt) * sx;
    };
    std::vector<double> pen(static_cast<std::size_t>(image.width) * image.height, 0.0);
    const double radius = drawing.pen_width / 2;
    for (const Segment& s : lines) {
        double ay, ax, by, bx;
        place(s.y0, s.x0, ay, ax);
        place(s.y1, s.x1, by, bx);
        const int y_lo = std::max(0, static_cast<int>(std::floor(std::min(ay, by) - radius - 1)));
        const int y_hi = std::min(image.height - 1, static_cast<int>(std::ceil(std::max(ay, by) + radius + 1)));
        const int x_lo = std::max(0, static_cast<int>(std::floor(std::min(ax, bx) - radius - 1)));
        const int x_hi = std::min(image.width - 1, static_cast<int>(std::ceil(std::max(ax, bx) + radius + 1)));
        const double ly = by - ay, lx = bx - ax, length2 = ly * ly + lx * lx;
        for (int y = y_lo; y <= y_hi; ++y)
            for (int x = x_lo; x <= x_hi; ++x) {
                const double py = y + 0.5 - ay, px = x + 0.5 - ax;
                const double t = length2 > 0 ? std::clamp((py * ly + px * lx) / length2, 0.0, 1.0) : 0.0;
                const double d = std::hypot(py - t * ly, px - t * lx);
                double& v = pen[static_cast<std::size_t>(y) * image.width + x];
                v = std::max(v, std::clamp(radius + 0.5 - d, 0.0, 1.0));  // one pixel of antialiasing
            }
    }
    if (random() % 2 == 0) {  // a box blur, 3x3 or 5x5
        const int r = 1 + static_cast<int>(random() % 2);
        std::vector<double> blurred(pen.size());
        for (int y = 0; y < image.height; ++y)
            for (int x = 0; x < image.width; ++x) {
                double sum = 0;
                int n = 0;
                for (int yy = std::max(0, y - r); yy <= std::min(image.height - 1, y + r); ++yy)
                    for (int xx = std::max(0, x - r); xx <= std::min(image.width - 1, x + r); ++xx, ++n)
                        sum += pen[static_cast<std::size_t>(yy) * image.width + xx];
                blurred[static_cast<std::size_t>(y) * image.width + x] = sum / n;
            }
        pen.swap(blurred);
    }
    const bool dark_ink = random() % 2 == 0;
    const double paper = dark_ink ? uniform(0.75, 1.0) : uniform(0.0, 0.25),
                 ink = dark_ink ? uniform(0.0, 0.3) : uniform(0.7, 1.0);
    std::normal_distribution<double> noise(0.0, uniform(0.0, 0.05));
    image.pixels.resize(pen.size());
    for (std::size_t k = 0; k < pen.size(); ++k) {
        const double v = std::clamp(paper + pen[k] * (ink - paper) + noise(random), 0.0, 1.0);
        image.pixels[k] = std::round(v * 255) / 255;
    }
    return drawing;
}

}  // namespace digitnet::testing
