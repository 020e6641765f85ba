#include "elastic_field.hpp"

#include <algorithm>
#include <cmath>

namespace digitnet::augment_detail {

namespace {

// field (rows x cols, row-major) convolved with kernel (2 radius + 1 taps) along rows and then
// columns, zero beyond the edges, times alpha. The passes read zero-padded copies, so that every
// sum has all its taps (and the compiler can vectorise it).
void smooth(std::vector<double>& field, int rows, int cols, const std::vector<double>& kernel, double alpha,
            std::vector<double>& padded_row, std::vector<double>& padded_columns) {
    const int radius = static_cast<int>(kernel.size() / 2), taps = static_cast<int>(kernel.size());
    padded_row.assign(static_cast<std::size_t>(cols + 2 * radius), 0.0);
    padded_columns.assign(static_cast<std::size_t>(rows + 2 * radius) * cols, 0.0);
    for (int r = 0; r < rows; ++r) {
        std::copy_n(field.data() + static_cast<std::size_t>(r) * cols, cols, padded_row.data() + radius);
        double* into = padded_columns.data() + static_cast<std::size_t>(r + radius) * cols;
        // Tap by tap over the whole row: the inner loop is a vector multiply-add.
        for (int k = 0; k < taps; ++k) {
            const double w = kernel[static_cast<std::size_t>(k)];
            const double* from = padded_row.data() + k;
            for (int c = 0; c < cols; ++c) into[c] += w * from[c];
        }
    }
    for (int r = 0; r < rows; ++r) {
        double* out = field.data() + static_cast<std::size_t>(r) * cols;
        std::fill_n(out, cols, 0.0);
        for (int k = 0; k < taps; ++k) {
            const double w = kernel[static_cast<std::size_t>(k)];
            const double* from = padded_columns.data() + static_cast<std::size_t>(r + k) * cols;
            for (int c = 0; c < cols; ++c) out[c] += w * from[c];
        }
        for (int c = 0; c < cols; ++c) out[c] *= alpha;
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
    std::vector<double> padded_row, padded_columns;
    smooth(dr, rows, cols, kernel, alpha, padded_row, padded_columns);
    smooth(dc, rows, cols, kernel, alpha, padded_row, padded_columns);
}

}  // namespace digitnet::augment_detail
