// The output layer's kernels against plain CPU loops, in float and double, on awkward sizes:
// d_L = h - Y and the cost terms for sigmoid and softmax outputs, and h for prediction.
// Compiled only in CUDA builds; every test skips when there is no GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "kernel_test_fixture.hpp"
#include "launch_config.cuh"
#include "output_sigmoid.cuh"
#include "output_softmax.cuh"
#include "sigmoid_output_delta_cost.cuh"
#include "softmax_output_delta_cost.cuh"

namespace digitnet::testing {
namespace {

TYPED_TEST_SUITE(CudaKernels, KernelPrecisions);

TYPED_TEST(CudaKernels, SigmoidOutputDeltaCostGivesDeltaAndCostSum) {
    using T = TypeParam;
    for (const auto& [m, K] : std::vector<std::pair<int, int>>{{1, 1}, {37, 3}, {1000, 10}, {4999, 10}, {257, 7}}) {
        const std::size_t count = static_cast<std::size_t>(m) * K;
        auto z = this->random_values(count, -8.0, 8.0, 5u + unsigned(m));
        z[0] = T(-500);  // saturated: the softplus form keeps the cost finite
        if (count > 1) z[1] = T(500);
        std::vector<T> y(count, T(0));
        for (int r = 0; r < m; ++r) y[static_cast<std::size_t>(r) * K + (r % K)] = T(1);
        auto dz = this->upload(z);
        auto dy = this->upload(y);
        DeviceBuffer<T> d(count);
        const int partial_count = kernels::sigmoid_output_delta_cost_partials(m, K);
        ASSERT_EQ(partial_count, kernels::linear_blocks(int(count)));
        DeviceBuffer<double> partials(static_cast<std::size_t>(partial_count));
        kernels::sigmoid_output_delta_cost(m, K, dz.data(), dy.data(), d.data(), partials.data(), this->stream_);
        const auto got_d = this->download(d);
        const auto got_partials = this->download(partials);

        std::vector<double> expected_d(count);
        double expected_sum = 0.0;
        for (std::size_t i = 0; i < count; ++i) {
            expected_d[i] = cpu_sigmoid(double(z[i])) - double(y[i]);
            expected_sum += cpu_cost_term(double(z[i]), double(y[i]));
        }
        double sum = 0.0;
        for (const double p : got_partials) sum += p;
        ASSERT_TRUE(std::isfinite(sum));
        const std::string size = std::to_string(m) + "x" + std::to_string(K);
        this->expect_close(got_d, expected_d, "sigmoid_output_delta_cost d " + size);
        this->expect_close(std::vector<double>{sum}, std::vector<double>{expected_sum},
                           "sigmoid_output_delta_cost sum " + size);

        // Deterministic: the same inputs give the same bits.
        DeviceBuffer<double> again(static_cast<std::size_t>(partial_count));
        kernels::sigmoid_output_delta_cost(m, K, dz.data(), dy.data(), d.data(), again.data(), this->stream_);
        const auto got_again = this->download(again);
        EXPECT_EQ(0, std::memcmp(got_again.data(), got_partials.data(), got_partials.size() * sizeof(double)));
    }
}

TYPED_TEST(CudaKernels, OutputSigmoid) {
    using T = TypeParam;
    for (const int count : {1, 255, 256, 257, 49990}) {
        auto z = this->random_values(static_cast<std::size_t>(count), -30.0, 30.0, unsigned(count));
        auto dz = this->upload(z);
        DeviceBuffer<T> h(static_cast<std::size_t>(count));
        kernels::output_sigmoid(count, dz.data(), h.data(), this->stream_);
        std::vector<double> expected(z.size());
        for (std::size_t i = 0; i < z.size(); ++i) expected[i] = cpu_sigmoid(double(z[i]));
        this->expect_close(this->download(h), expected, "output_sigmoid " + std::to_string(count));
        kernels::output_sigmoid(count, dz.data(), dz.data(), this->stream_);  // in place
        this->expect_close(this->download(dz), expected, "output_sigmoid in place " + std::to_string(count));
    }
}

// The CPU softmax of one row, from z - max z, in double.
std::vector<double> cpu_softmax(const double* z, int classes) {
    double z_max = z[0];
    for (int k = 1; k < classes; ++k) z_max = std::max(z_max, z[k]);
    double sum = 0.0;
    for (int k = 0; k < classes; ++k) sum += std::exp(z[k] - z_max);
    std::vector<double> h(static_cast<std::size_t>(classes));
    for (int k = 0; k < classes; ++k) h[static_cast<std::size_t>(k)] = std::exp(z[k] - z_max) / sum;
    return h;
}

// d = softmax(z) - Y and the per-block sums of -log h_y, on rows with saturated entries; K = 1
// (h = 1, d = 0, cost 0) and more classes than a warp has lanes.
TYPED_TEST(CudaKernels, SoftmaxOutputDeltaCostGivesDeltaAndCostSum) {
    using T = TypeParam;
    for (const auto& [m, K] :
         std::vector<std::pair<int, int>>{{1, 1}, {37, 3}, {1000, 10}, {4999, 10}, {257, 7}, {300, 47}}) {
        const std::size_t count = static_cast<std::size_t>(m) * K;
        auto z = this->random_values(count, -8.0, 8.0, 5u + unsigned(m));
        z[0] = T(-500);  // saturated: the shift by max z keeps every exp finite
        if (count > 1) z[1] = T(500);
        std::vector<T> y(count, T(0));
        std::vector<int> labels(static_cast<std::size_t>(m));
        for (int r = 0; r < m; ++r) {
            labels[static_cast<std::size_t>(r)] = (r * 5 + 1) % K;
            y[static_cast<std::size_t>(r) * K + labels[static_cast<std::size_t>(r)]] = T(1);
        }
        auto dz = this->upload(z);
        auto dy = this->upload(y);
        DeviceBuffer<T> d(count);
        const int partial_count = kernels::softmax_output_delta_cost_partials(m);
        ASSERT_EQ(partial_count, kernels::linear_blocks(m));
        DeviceBuffer<double> partials(static_cast<std::size_t>(partial_count));
        kernels::softmax_output_delta_cost(m, K, dz.data(), dy.data(), d.data(), partials.data(), this->stream_);
        const auto got_d = this->download(d);
        const auto got_partials = this->download(partials);

        std::vector<double> expected_d(count);
        double expected_sum = 0.0;
        std::vector<double> row(static_cast<std::size_t>(K));
        for (int r = 0; r < m; ++r) {
            const std::size_t start = static_cast<std::size_t>(r) * K;
            for (int k = 0; k < K; ++k) row[static_cast<std::size_t>(k)] = double(z[start + k]);
            const std::vector<double> h = cpu_softmax(row.data(), K);
            for (int k = 0; k < K; ++k) expected_d[start + k] = h[static_cast<std::size_t>(k)] - double(y[start + k]);
            // -log h_y from z, as DESIGN.md states it: max z + log sum exp(z - max z) - z_y.
            const double z_max = *std::max_element(row.begin(), row.end());
            double sum = 0.0;
            for (const double v : row) sum += std::exp(v - z_max);
            expected_sum += z_max + std::log(sum) - row[static_cast<std::size_t>(labels[static_cast<std::size_t>(r)])];
        }
        double sum = 0.0;
        for (const double p : got_partials) sum += p;
        ASSERT_TRUE(std::isfinite(sum));
        for (const T v : got_d) ASSERT_TRUE(std::isfinite(double(v)));
        const std::string size = std::to_string(m) + "x" + std::to_string(K);
        this->expect_close(got_d, expected_d, "softmax_output_delta_cost d " + size);
        this->expect_close(std::vector<double>{sum}, std::vector<double>{expected_sum},
                           "softmax_output_delta_cost sum " + size);

        // Deterministic: the same inputs give the same bits.
        DeviceBuffer<double> again(static_cast<std::size_t>(partial_count));
        kernels::softmax_output_delta_cost(m, K, dz.data(), dy.data(), d.data(), again.data(), this->stream_);
        const auto got_again = this->download(again);
        EXPECT_EQ(0, std::memcmp(got_again.data(), got_partials.data(), got_partials.size() * sizeof(double)));
    }
}

// h = softmax(z) row by row, out of place and in place; each row sums to 1.
TYPED_TEST(CudaKernels, OutputSoftmax) {
    using T = TypeParam;
    for (const auto& [m, K] : std::vector<std::pair<int, int>>{{1, 1}, {1, 10}, {255, 3}, {257, 10}, {4999, 26}}) {
        const std::size_t count = static_cast<std::size_t>(m) * K;
        auto z = this->random_values(count, -30.0, 30.0, unsigned(count));
        z[0] = T(700);  // would overflow exp without the shift by max z
        auto dz = this->upload(z);
        DeviceBuffer<T> h(count);
        kernels::output_softmax(m, K, dz.data(), h.data(), this->stream_);
        std::vector<double> expected(count);
        std::vector<double> row(static_cast<std::size_t>(K));
        for (int r = 0; r < m; ++r) {
            for (int k = 0; k < K; ++k)
                row[static_cast<std::size_t>(k)] = double(z[static_cast<std::size_t>(r) * K + k]);
            const std::vector<double> p = cpu_softmax(row.data(), K);
            std::copy(p.begin(), p.end(), expected.begin() + static_cast<std::ptrdiff_t>(r) * K);
        }
        const std::string size = std::to_string(m) + "x" + std::to_string(K);
        const auto got = this->download(h);
        this->expect_close(got, expected, "output_softmax " + size);
        for (int r = 0; r < m; ++r) {
            double total = 0.0;
            for (int k = 0; k < K; ++k) total += double(got[static_cast<std::size_t>(r) * K + k]);
            ASSERT_NEAR(total, 1.0, 1e-5) << size << " row " << r;
        }
        kernels::output_softmax(m, K, dz.data(), dz.data(), this->stream_);  // in place
        this->expect_close(this->download(dz), expected, "output_softmax in place " + size);
    }
}

}  // namespace
}  // namespace digitnet::testing
