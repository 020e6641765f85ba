#include "elastic_field.hpp"

#include <algorithm>
#include <cmath>

namespace digitnet::augment_detail {

namespace {

// field (rows x cols, row-major) convolved with kernel (2 radius + 1 taps) along rows and then
// columns, zero beyond the edges, times alpha.
void smooth(std::vector<double>& field, int rows, int cols, const std::vector<double>& kernel, double alpha,
            std::vector<double>& scratch) {
    const int radius = static_cast<int>(kernel.size() / 2);
    scratch.assign(field.size(), 0.0);
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) {
            double sum = 0;
            for (int k = std::max(-radius, -c); k <= std::min(radius, cols - 1 - c); ++k)
                sum += kernel[static_cast<std::size_t>(k + radius)] * field[static_cast<std::size_t>(r) * cols + c + k];
            scratch[static_cast<std::size_t>(r) * cols + c] = sum;
        }
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) {
            double sum = 0;
            for (int k = std::max(-radius, -r); k <= std::min(radius, rows - 1 - r); ++k)
                sum +=
                    kernel[static_cast<std::size_t>(k + radius)] * scratch[static_cast<std::size_t>(r + k) * cols + c];
            field[static_cast<std::size_t>(r) * cols + c] = alpha * sum;
        }
}

}  // namespace

void elastic_field(int rows, int cols, double alpha, double sigma, CounterRandom& random, std::vector<double>& dr,
                   std::vector<double>& dc) {
    const std::size_t n = static_cast<std::size_t>(rows) * cols;
    dr.resize(n);
    dc.resize(n);
    for (double& v : dr) v = 2 * random.uniform() - 1;
    for (double& v : dc) v = 2 * random.uniform() - 1;
    const int radius = std::max(1, static_cast<int>(std::ceil(3 * sigma)));
    std::vector<double> kernel(static_cast<std::size_t>(2 * radius + 1));
    double total = 0;
    for (int k = -radius; k <= radius; ++k)
        total += kernel[static_cast<std::size_t>(k + radius)] = std::exp(-0.5 * k * k / (sigma * sigma));
    for (double& w : kernel) w /= total;
    std::vector<double> scratch;
    smooth(dr, rows, cols, kernel, alpha, scratch);
    smooth(dc, rows, cols, kernel, alpha, scratch);
}

}  // namespace digitnet::augment_detail
