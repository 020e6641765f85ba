// The element-wise and reduction kernels of kernels/ against plain CPU loops over the same inputs,
// in float and double, on awkward sizes (not multiples of the block size or of 32; one element; a
// block and one more). Compiled only in CUDA builds; every test skips when there is no GPU.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "activation_gradient_delta.cuh"
#include "activation_prepend_bias.cuh"
#include "gather_rows.cuh"
#include "gradient_descent_update.cuh"
#include "kernel_test_fixture.hpp"
#include "one_hot.cuh"
#include "prepend_bias.cuh"
#include "regularized_cost.cuh"
#include "regularized_gradient_init.cuh"

namespace digitnet::testing {
namespace {

TYPED_TEST_SUITE(CudaKernels, KernelPrecisions);

TYPED_TEST(CudaKernels, PrependBiasPutsOnesBeforeX) {
    using T = TypeParam;
    for (const auto& [m, n] : std::vector<std::pair<int, int>>{{1, 1}, {37, 13}, {257, 400}, {1000, 3}}) {
        std::vector<double> X(static_cast<std::size_t>(m) * n);
        for (std::size_t i = 0; i < X.size(); ++i) X[i] = std::sin(double(i)) * 3.0;
        auto dX = this->upload(X);
        DeviceBuffer<T> A0(static_cast<std::size_t>(m) * (n + 1));
        kernels::prepend_bias(m, n, dX.data(), A0.data(), this->stream_);
        const auto a0 = this->download(A0);
        for (int r = 0; r < m; ++r) {
            ASSERT_EQ(a0[static_cast<std::size_t>(r) * (n + 1)], T(1)) << "row " << r;
            for (int c = 0; c < n; ++c)
                ASSERT_EQ(a0[static_cast<std::size_t>(r) * (n + 1) + c + 1],
                          static_cast<T>(X[static_cast<std::size_t>(r) * n + c]))
                    << m << "x" << n << " at " << r << "," << c;
        }
    }
}

TYPED_TEST(CudaKernels, OneHotMarksTheLabel) {
    using T = TypeParam;
    for (const auto& [m, K] : std::vector<std::pair<int, int>>{{1, 1}, {37, 3}, {1001, 10}, {4999, 26}}) {
        std::vector<int> labels(static_cast<std::size_t>(m));
        for (int r = 0; r < m; ++r) labels[r] = (r * 7 + 3) % K;
        auto dlabels = this->upload(labels);
        DeviceBuffer<T> Y(static_cast<std::size_t>(m) * K);
        kernels::one_hot(m, K, dlabels.data(), Y.data(), this->stream_);
        const auto y = this->download(Y);
        for (int r = 0; r < m; ++r)
            for (int k = 0; k < K; ++k)
                ASSERT_EQ(y[static_cast<std::size_t>(r) * K + k], labels[r] == k ? T(1) : T(0)) << r << "," << k;
    }
}

// a = [1, f(z)] in place for every activation, saturated inputs included (never NaN).
TYPED_TEST(CudaKernels, ActivationPrependBiasInPlace) {
    using T = TypeParam;
    for (const Activation f : kActivations) {
        for (const auto& [m, units] : std::vector<std::pair<int, int>>{{1, 1}, {37, 7}, {1000, 25}, {4999, 130}}) {
            const int cols = units + 1;
            auto a = this->random_values(static_cast<std::size_t>(m) * cols, -12.0, 12.0, 11u + unsigned(units));
            a[1] = T(-1000);
            if (a.size() > 2) a[2] = T(1000);
            if (a.size() > 3) a[3] = T(0);
            auto da = this->upload(a);
            kernels::activation_prepend_bias(f, m, units, da.data(), this->stream_);
            const auto got = this->download(da);
            std::vector<double> expected(a.size());
            for (std::size_t i = 0; i < a.size(); ++i)
                expected[i] = i % static_cast<std::size_t>(cols) == 0 ? 1.0 : cpu_activate(f, double(a[i]));
            for (const T v : got) ASSERT_TRUE(std::isfinite(double(v))) << to_string(f);
            this->expect_close(got, expected,
                               std::string("activation_prepend_bias ") + to_string(f) + " " + std::to_string(m) + "x" +
                                   std::to_string(units));
        }
    }
}

// d *= f'(a) with the derivative taken from the stored activation, for every activation, on
// activations in each one's range (relu's with exact zeros).
TYPED_TEST(CudaKernels, ActivationGradientDelta) {
    using T = TypeParam;
    for (const Activation f : kActivations) {
        const double low = f == Activation::Sigmoid ? 0.0 : f == Activation::Tanh ? -1.0 : -2.0;
        const double high = f == Activation::Relu ? 3.0 : 1.0;
        for (const auto& [m, units] : std::vector<std::pair<int, int>>{{1, 1}, {37, 7}, {1000, 25}, {4999, 130}}) {
            const int cols = units + 1;
            auto a = this->random_values(static_cast<std::size_t>(m) * cols, low, high, 17u + unsigned(m));
            for (T& v : a)
                if (f == Activation::Relu && v < T(0)) v = T(0);                       // relu's activations are >= 0
            for (int r = 0; r < m; ++r) a[static_cast<std::size_t>(r) * cols] = T(1);  // bias column
            auto d = this->random_values(static_cast<std::size_t>(m) * units, -2.0, 2.0, 19u + unsigned(units));
            auto da = this->upload(a);
            auto dd = this->upload(d);
            kernels::activation_gradient_delta(f, m, units, da.data(), dd.data(), this->stream_);
            std::vector<double> expected(d.size());
            for (int r = 0; r < m; ++r)
                for (int c = 0; c < units; ++c) {
                    const double ai = double(a[static_cast<std::size_t>(r) * cols + c + 1]);
                    expected[static_cast<std::size_t>(r) * units + c] =
                        double(d[static_cast<std::size_t>(r) * units + c]) * cpu_activation_derivative(f, ai);
                }
            this->expect_close(this->download(dd), expected,
                               std::string("activation_gradient_delta ") + to_string(f) + " " + std::to_string(m) +
                                   "x" + std::to_string(units));
        }
    }
}

TYPED_TEST(CudaKernels, RegularizedGradientInit) {
    using T = TypeParam;
    for (const int count : {1, 255, 256, 257, 10285, 100001}) {
        auto theta = this->random_values(static_cast<std::size_t>(count), -1.0, 1.0, 3u + unsigned(count));
        std::vector<T> mask(theta.size());
        for (std::size_t i = 0; i < mask.size(); ++i) mask[i] = i % 26 == 0 ? T(0) : T(1);  // 25 x 26 blocks
        const double lambda_over_m = 3.0 / 37.0;
        auto dtheta = this->upload(theta);
        auto dmask = this->upload(mask);
        DeviceBuffer<T> grad(theta.size());
        DeviceBuffer<double> partials(static_cast<std::size_t>(kernels::regularized_gradient_init_partials(count)));
        kernels::regularized_gradient_init(count, dtheta.data(), dmask.data(), static_cast<T>(lambda_over_m),
                                           grad.data(), partials.data(), this->stream_);
        std::vector<double> expected(theta.size());
        double expected_squares = 0.0;
        for (std::size_t i = 0; i < theta.size(); ++i) {
            const double kept = double(mask[i]) * double(theta[i]);
            expected[i] = static_cast<double>(static_cast<T>(lambda_over_m)) * kept;
            expected_squares += kept * kept;
        }
        double squares = 0.0;
        for (const double p : this->download(partials)) squares += p;
        this->expect_close(this->download(grad), expected, "regularized_gradient_init " + std::to_string(count));
        this->expect_close(std::vector<double>{squares}, std::vector<double>{expected_squares},
                           "regularized_gradient_init squares " + std::to_string(count));
    }
}

TYPED_TEST(CudaKernels, GradientDescentUpdate) {
    using T = TypeParam;
    for (const int count : {1, 257, 10285}) {
        auto theta = this->random_values(static_cast<std::size_t>(count), -1.0, 1.0, 23u);
        auto grad = this->random_values(static_cast<std::size_t>(count), -1.0, 1.0, 29u);
        auto dtheta = this->upload(theta);
        auto dgrad = this->upload(grad);
        kernels::gradient_descent_update(count, T(0.8), dgrad.data(), dtheta.data(), this->stream_);
        std::vector<double> expected(theta.size());
        for (std::size_t i = 0; i < theta.size(); ++i)
            expected[i] = double(theta[i]) - double(T(0.8)) * double(grad[i]);
        this->expect_close(this->download(dtheta), expected, "gradient_descent_update " + std::to_string(count));
    }
}

// Not templated (the partials are double whatever the precision), but run under both names.
TYPED_TEST(CudaKernels, RegularizedCostWritesHistoryAndAdvances) {
    for (const auto& [cost_count, square_count] :
         std::vector<std::pair<int, int>>{{1, 1}, {196, 41}, {255, 256}, {257, 3000}, {2344, 1}}) {
        std::vector<double> cost_partials(static_cast<std::size_t>(cost_count));
        std::vector<double> square_partials(static_cast<std::size_t>(square_count));
        for (std::size_t i = 0; i < cost_partials.size(); ++i) cost_partials[i] = 1.0 + std::sin(double(i));
        for (std::size_t i = 0; i < square_partials.size(); ++i) square_partials[i] = 0.5 + std::cos(double(i)) / 4;
        const int m = 4999;
        const double lambda = 1.0;
        double expected = 0.0, squares = 0.0;
        for (const double p : cost_partials) expected += p;
        for (const double p : square_partials) squares += p;
        expected = expected / m + lambda / (2.0 * m) * squares;

        auto dcost = this->upload(cost_partials);
        auto dsquare = this->upload(square_partials);
        DeviceBuffer<double> history(5);
        history.fill_zero(this->stream_);
        auto iteration = this->upload(std::vector<int>{3});
        for (int run = 0; run < 2; ++run)
            kernels::regularized_cost(dcost.data(), cost_count, dsquare.data(), square_count, 1.0 / m,
                                      lambda / (2.0 * m), history.data(), iteration.data(), this->stream_);
        const auto h = this->download(history);
        EXPECT_EQ(this->download(iteration)[0], 5);
        EXPECT_EQ(h[0], 0.0);
        EXPECT_EQ(h[2], 0.0);
        EXPECT_EQ(std::bit_cast<std::uint64_t>(h[3]), std::bit_cast<std::uint64_t>(h[4]))
            << "same inputs, different bits";
        EXPECT_NEAR(h[3], expected, 1e-13 * std::abs(expected)) << cost_count << " / " << square_count;
    }
}

TYPED_TEST(CudaKernels, GatherRowsCopiesTheChosenRows) {
    using T = TypeParam;
    // {rows gathered, columns, rows in the source}: one element, awkward widths, more rows gathered
    // than the source has (repeats), and a gather wider than a block.
    for (const auto& [count, cols, source_rows] :
         std::vector<std::tuple<int, int, int>>{{1, 1, 1}, {37, 401, 100}, {300, 10, 4999}, {257, 3, 5}}) {
        const auto src =
            this->random_values(static_cast<std::size_t>(source_rows) * cols, -3.0, 3.0, unsigned(count + cols));
        std::vector<int> rows(static_cast<std::size_t>(count));
        for (int i = 0; i < count; ++i) rows[i] = (i * 7919 + 13) % source_rows;
        rows[0] = source_rows - 1;                 // the last row
        if (count > 1) rows[count - 1] = rows[0];  // a repeat
        auto dsrc = this->upload(src);
        auto drows = this->upload(rows);
        DeviceBuffer<T> dst(static_cast<std::size_t>(count) * cols);
        kernels::gather_rows(count, cols, drows.data(), dsrc.data(), dst.data(), this->stream_);
        const auto got = this->download(dst);
        for (int i = 0; i < count; ++i)
            for (int j = 0; j < cols; ++j)
                ASSERT_EQ(got[static_cast<std::size_t>(i) * cols + j],
                          src[static_cast<std::size_t>(rows[i]) * cols + j])
                    << count << "x" << cols << " at " << i << "," << j;
    }
}

TYPED_TEST(CudaKernels, EmptyLaunchIsANoOp) {
    using T = TypeParam;
    DeviceBuffer<T> nothing;
    kernels::one_hot(0, 10, static_cast<const int*>(nullptr), nothing.data(), this->stream_);
    kernels::gather_rows(0, 10, static_cast<const int*>(nullptr), static_cast<const T*>(nullptr), nothing.data(),
                         this->stream_);
    kernels::gradient_descent_update(0, T(1), nothing.data(), nothing.data(), this->stream_);
    CUDA_CHECK(cudaStreamSynchronize(this->stream_));
    EXPECT_EQ(cudaGetLastError(), cudaSuccess);
}

}  // namespace
}  // namespace digitnet::testing
