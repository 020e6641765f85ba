#include "digitnet/model/stroke_width.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace digitnet {

namespace {

constexpr double kHalfInk = 0.5;

bool inked(const InkImage& image, int y, int x) {
    return y >= 0 && x >= 0 && y < image.height && x < image.width && image.at(y, x) >= kHalfInk;
}

// The squared distance of each of n samples to the nearest sample where f is 0, given f = 0 there
// and a huge value elsewhere (Felzenszwalb & Huttenlocher 2012, "Distance transforms of sampled
// functions", algorithm 1: the lower envelope of parabolas rooted at each sample).
void squared_distance_1d(const double* f, int n, int stride, double* out, std::vector<int>& roots,
                         std::vector<double>& bounds) {
    roots.assign(static_cast<std::size_t>(n), 0);
    bounds.assign(static_cast<std::size_t>(n) + 1, 0.0);
    const auto value = [&](int q) { return f[static_cast<std::ptrdiff_t>(q) * stride]; };
    int k = 0;
    bounds[0] = -std::numeric_limits<double>::infinity();
    bounds[1] = std::numeric_limits<double>::infinity();
    const auto meet = [&](int q, int r) {  // where the parabolas rooted at r and q cross
        return ((value(q) + double(q) * q) - (value(r) + double(r) * r)) / (2.0 * q - 2.0 * r);
    };
    for (int q = 1; q < n; ++q) {
        double s = meet(q, roots[static_cast<std::size_t>(k)]);
        while (s <= bounds[static_cast<std::size_t>(k)]) {  // bounds[0] is -inf: stops at k == 0
            --k;
            s = meet(q, roots[static_cast<std::size_t>(k)]);
        }
        ++k;
        roots[static_cast<std::size_t>(k)] = q;
        bounds[static_cast<std::size_t>(k)] = s;
        bounds[static_cast<std::size_t>(k) + 1] = std::numeric_limits<double>::infinity();
    }
    k = 0;
    for (int q = 0; q < n; ++q) {
        while (bounds[static_cast<std::size_t>(k) + 1] < q) ++k;
        const int r = roots[static_cast<std::size_t>(k)];
        out[static_cast<std::ptrdiff_t>(q) * stride] = double(q - r) * (q - r) + value(r);
    }
}

// The Euclidean distance from each pixel to the nearest pixel where `target` holds, in pixels.
// Beyond the image is paper: the grid has a frame of it one pixel wide, so that a stroke running
// off the edge ends there.
std::vector<double> distance_to(const InkImage& image, bool target_is_ink) {
    const int w = image.width + 2, h = image.height + 2;
    constexpr double kFar = 1e12;  // beyond any squared distance, small enough to keep q^2 exact
    std::vector<double> grid(static_cast<std::size_t>(w) * h), pass(grid.size());
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            grid[static_cast<std::size_t>(y) * w + x] = inked(image, y - 1, x - 1) == target_is_ink ? 0.0 : kFar;
    std::vector<int> roots;
    std::vector<double> bounds;
    for (int x = 0; x < w; ++x) squared_distance_1d(grid.data() + x, h, w, pass.data() + x, roots, bounds);
    for (int y = 0; y < h; ++y)
        squared_distance_1d(pass.data() + static_cast<std::size_t>(y) * w, w, 1,
                            grid.data() + static_cast<std::size_t>(y) * w, roots, bounds);
    std::vector<double> inside(static_cast<std::size_t>(image.width) * image.height);
    for (int y = 0; y < image.height; ++y)
        for (int x = 0; x < image.width; ++x)
            inside[static_cast<std::size_t>(y) * image.width + x] =
                std::sqrt(grid[static_cast<std::size_t>(y + 1) * w + x + 1]);
    return inside;
}

}  // namespace

double stroke_width(const InkImage& image) {
    const std::vector<double> to_paper = distance_to(image, false);
    double sum = 0.0;
    long area = 0;
    for (std::size_t i = 0; i < image.ink.size(); ++i)
        if (image.ink[i] >= kHalfInk) sum += to_paper[i] - 0.5, ++area;
    return area > 0 ? 4.0 * sum / double(area) : 0.0;
}

InkImage widen_strokes(const InkImage& image, double grow) {
    // Inside the ink, the distance to the nearest paper pixel's centre; outside, to the nearest
    // ink pixel's: the edge lies half a pixel from either.
    const std::vector<double> to_paper = distance_to(image, false), to_ink = distance_to(image, true);
    InkImage out{image.width, image.height, std::vector<double>(image.ink.size())};
    for (std::size_t i = 0; i < out.ink.size(); ++i) {
        const double inside = image.ink[i] >= kHalfInk ? to_paper[i] - 0.5 : 0.5 - to_ink[i];
        out.ink[i] = std::clamp(inside + grow / 2 + 0.5, 0.0, 1.0);
    }
    return out;
}

}  // namespace digitnet
