// Each fused kernel of kernels/ against a plain CPU loop over the same inputs, in float and double,
// on awkward sizes (not multiples of the block size or of 32; one element; a block and one more).
// Compiled only in CUDA builds; every test skips when there is no GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <iostream>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "cuda_check.hpp"
#include "cuda/device_buffer.hpp"
#include "digitnet/cuda/cuda_backend.hpp"
#include "gather_rows.cuh"
#include "gradient_descent_update.cuh"
#include "launch_config.cuh"
#include "one_hidden_layer_gradient.cuh"
#include "one_hot.cuh"
#include "output_delta_cost.cuh"
#include "output_sigmoid.cuh"
#include "prepend_bias.cuh"
#include "regularized_cost.cuh"
#include "regularized_gradient_init.cuh"
#include "sigmoid_gradient_delta.cuh"
#include "sigmoid_prepend_bias.cuh"
#include "tolerances.hpp"

namespace digitnet {
namespace {

using cuda::DeviceBuffer;
using testing::tolerance_for;
using testing::worst_error_ratio;

template <class T>
constexpr Precision precision_of() {
    return std::is_same_v<T, float> ? Precision::Float : Precision::Double;
}

// The plain CPU versions, in double, written as DESIGN.md states them.
double cpu_sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }
double cpu_cost_term(double z, double y) { return std::max(z, 0.0) - y * z + std::log1p(std::exp(-std::abs(z))); }

template <class T>
class CudaKernels : public ::testing::Test {
protected:
    void SetUp() override {
        if (!gpu_info()) GTEST_SKIP() << "no CUDA GPU on this machine";
        CUDA_CHECK(cudaStreamCreate(&stream_));
    }
    void TearDown() override {
        if (stream_ != nullptr) cudaStreamDestroy(stream_);
    }

    template <class U>
    DeviceBuffer<U> upload(const std::vector<U>& host) {
        DeviceBuffer<U> buffer(host.size());
        buffer.upload(host.data(), host.size(), stream_);
        CUDA_CHECK(cudaStreamSynchronize(stream_));
        return buffer;
    }
    template <class U>
    std::vector<U> download(const DeviceBuffer<U>& buffer) {
        std::vector<U> host(buffer.size());
        buffer.download(host.data(), host.size(), stream_);
        CUDA_CHECK(cudaStreamSynchronize(stream_));
        return host;
    }
    // Values of T drawn uniformly from [low, high].
    std::vector<T> random_values(std::size_t count, double low, double high, unsigned seed) {
        std::mt19937 generator(seed);
        std::uniform_real_distribution<double> uniform(low, high);
        std::vector<T> values(count);
        for (T& v : values) v = static_cast<T>(uniform(generator));
        return values;
    }
    // Checks values against references with the tolerance of T's precision and prints the worst ratio.
    template <class A, class B>
    void expect_close(const A& values, const B& references, const std::string& what) {
        ASSERT_EQ(values.size(), references.size()) << what;
        const double ratio = worst_error_ratio(values, references, tolerance_for(precision_of<T>()));
        std::cout << "[ worst    ] " << what << ": " << ratio << " of the tolerance\n";
        EXPECT_LE(ratio, 1.0) << what;
    }

    cudaStream_t stream_ = nullptr;
};

using Precisions = ::testing::Types<float, double>;
TYPED_TEST_SUITE(CudaKernels, Precisions);

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

TYPED_TEST(CudaKernels, SigmoidPrependBiasInPlace) {
    using T = TypeParam;
    for (const auto& [m, units] : std::vector<std::pair<int, int>>{{1, 1}, {37, 7}, {1000, 25}, {4999, 130}}) {
        const int cols = units + 1;
        auto a = this->random_values(static_cast<std::size_t>(m) * cols, -12.0, 12.0, 11u + unsigned(units));
        // Saturated inputs: the sigmoid must give 0 or 1, never NaN.
        a[1] = T(-1000);
        if (a.size() > 2) a[2] = T(1000);
        auto da = this->upload(a);
        kernels::sigmoid_prepend_bias(m, units, da.data(), this->stream_);
        const auto got = this->download(da);
        std::vector<double> expected(a.size());
        for (std::size_t i = 0; i < a.size(); ++i) expected[i] = i % cols == 0 ? 1.0 : cpu_sigmoid(double(a[i]));
        for (const T v : got) ASSERT_TRUE(std::isfinite(double(v)));
        this->expect_close(got, expected, "sigmoid_prepend_bias " + std::to_string(m) + "x" + std::to_string(units));
    }
}

TYPED_TEST(CudaKernels, OutputDeltaCostGivesDeltaAndCostSum) {
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
        const int partial_count = kernels::output_delta_cost_partials(m, K);
        ASSERT_EQ(partial_count, kernels::linear_blocks(int(count)));
        DeviceBuffer<double> partials(static_cast<std::size_t>(partial_count));
        kernels::output_delta_cost(m, K, dz.data(), dy.data(), d.data(), partials.data(), this->stream_);
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
        this->expect_close(got_d, expected_d, "output_delta_cost d " + size);
        this->expect_close(std::vector<double>{sum}, std::vector<double>{expected_sum}, "output_delta_cost sum " + size);

        // Deterministic: the same inputs give the same bits.
        DeviceBuffer<double> again(static_cast<std::size_t>(partial_count));
        kernels::output_delta_cost(m, K, dz.data(), dy.data(), d.data(), again.data(), this->stream_);
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

TYPED_TEST(CudaKernels, SigmoidGradientDelta) {
    using T = TypeParam;
    for (const auto& [m, units] : std::vector<std::pair<int, int>>{{1, 1}, {37, 7}, {1000, 25}, {4999, 130}}) {
        const int cols = units + 1;
        auto a = this->random_values(static_cast<std::size_t>(m) * cols, 0.0, 1.0, 17u + unsigned(m));
        for (int r = 0; r < m; ++r) a[static_cast<std::size_t>(r) * cols] = T(1);  // bias column
        auto d = this->random_values(static_cast<std::size_t>(m) * units, -2.0, 2.0, 19u + unsigned(units));
        auto da = this->upload(a);
        auto dd = this->upload(d);
        kernels::sigmoid_gradient_delta(m, units, da.data(), dd.data(), this->stream_);
        std::vector<double> expected(d.size());
        for (int r = 0; r < m; ++r)
            for (int c = 0; c < units; ++c) {
                const double ai = double(a[static_cast<std::size_t>(r) * cols + c + 1]);
                expected[static_cast<std::size_t>(r) * units + c] =
                    double(d[static_cast<std::size_t>(r) * units + c]) * ai * (1.0 - ai);
            }
        this->expect_close(this->download(dd), expected,
                           "sigmoid_gradient_delta " + std::to_string(m) + "x" + std::to_string(units));
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
        EXPECT_EQ(0, std::memcmp(&h[3], &h[4], sizeof(double))) << "same inputs, different bits";
        EXPECT_NEAR(h[3], expected, 1e-13 * std::abs(expected)) << cost_count << " / " << square_count;
    }
}

TYPED_TEST(CudaKernels, GatherRowsCopiesTheChosenRows) {
    using T = TypeParam;
    // {rows gathered, columns, rows in the source}: one element, awkward widths, more rows gathered
    // than the source has (repeats), and a gather wider than a block.
    for (const auto& [count, cols, source_rows] :
         std::vector<std::tuple<int, int, int>>{{1, 1, 1}, {37, 401, 100}, {300, 10, 4999}, {257, 3, 5}}) {
        const auto src = this->random_values(static_cast<std::size_t>(source_rows) * cols, -3.0, 3.0,
                                             unsigned(count + cols));
        std::vector<int> rows(static_cast<std::size_t>(count));
        for (int i = 0; i < count; ++i) rows[i] = (i * 7919 + 13) % source_rows;
        rows[0] = source_rows - 1;  // the last row
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

// The fused pass of a one-hidden-layer network against plain loops: the blocks' gradient and cost
// shares, summed on the host, are d^T a and the cost terms summed over all examples; then
// sum_gradient_partials adds them (times 1/m) to a gradient and takes the step. Sizes: one
// partial tile, several tiles, and hidden widths that are and are not multiples of 4.
TYPED_TEST(CudaKernels, OneHiddenLayerGradientPartialsAndTheirSum) {
    using T = TypeParam;
    struct Case {
        int m, inputs, hidden, classes;
    };
    for (const Case c : {Case{5, 3, 1, 2}, Case{77, 20, 7, 3}, Case{1000, 401, 25, 10}, Case{64, 9, 32, 32}}) {
        const int n = c.inputs + 1;
        const int H = c.hidden;
        const int K = c.classes;
        const kernels::OneHiddenLayerPlan plan = kernels::plan_one_hidden_layer<T>(n, H, K);
        ASSERT_TRUE(plan.usable()) << "no fused plan for " << c.inputs << "-" << H << "-" << K;
        const std::size_t P = std::size_t(H) * n + std::size_t(K) * (H + 1);
        std::vector<T> a0 = this->random_values(std::size_t(c.m) * n, 0.0, 1.0, 1);
        for (int r = 0; r < c.m; ++r) a0[std::size_t(r) * n] = T(1);
        std::vector<T> Y(std::size_t(c.m) * K, T(0));
        for (int r = 0; r < c.m; ++r) Y[std::size_t(r) * K + (r * 7) % K] = T(1);
        const std::vector<T> theta = this->random_values(P, -1.0, 1.0, 2);

        // Plain loops, in double.
        std::vector<double> grad(P, 0.0);
        double cost = 0.0;
        for (int r = 0; r < c.m; ++r) {
            std::vector<double> a1(H + 1, 1.0), d2(K), d1(H);
            for (int j = 0; j < H; ++j) {
                double z = 0.0;
                for (int k = 0; k < n; ++k) z += double(theta[std::size_t(j) * n + k]) * a0[std::size_t(r) * n + k];
                a1[j + 1] = cpu_sigmoid(z);
            }
            const std::size_t P1 = std::size_t(H) * n;
            for (int k = 0; k < K; ++k) {
                double z = 0.0;
                for (int j = 0; j <= H; ++j) z += double(theta[P1 + std::size_t(k) * (H + 1) + j]) * a1[j];
                const double y = Y[std::size_t(r) * K + k];
                d2[k] = cpu_sigmoid(z) - y;
                cost += cpu_cost_term(z, y);
                for (int j = 0; j <= H; ++j) grad[P1 + std::size_t(k) * (H + 1) + j] += d2[k] * a1[j];
            }
            for (int j = 0; j < H; ++j) {
                double back = 0.0;
                for (int k = 0; k < K; ++k) back += d2[k] * theta[P1 + std::size_t(k) * (H + 1) + j + 1];
                d1[j] = back * a1[j + 1] * (1.0 - a1[j + 1]);
                for (int i = 0; i < n; ++i) grad[std::size_t(j) * n + i] += d1[j] * a0[std::size_t(r) * n + i];
            }
        }

        const auto da0 = this->upload(a0);
        const auto dY = this->upload(Y);
        const auto dtheta = this->upload(theta);
        const int blocks = plan.blocks(c.m);
        ASSERT_GE(blocks, 1);
        // Poisoned outputs: every entry a block owns must be written.
        DeviceBuffer<T> partials(std::size_t(plan.resident_blocks) * P);
        std::vector<T> poison(partials.size(), std::numeric_limits<T>::quiet_NaN());
        partials.upload(poison.data(), poison.size(), this->stream_);
        DeviceBuffer<double> cost_partials(std::size_t(plan.resident_blocks));
        const std::vector<double> cost_poison(cost_partials.size(), std::numeric_limits<double>::quiet_NaN());
        cost_partials.upload(cost_poison.data(), cost_poison.size(), this->stream_);
        kernels::one_hidden_layer_gradient_partials(plan, c.m, da0.data(), dY.data(), dtheta.data(), partials.data(),
                                                    cost_partials.data(), this->stream_);
        const std::vector<T> shares = this->download(partials);
        const std::vector<double> cost_shares = this->download(cost_partials);
        std::vector<double> summed(P, 0.0);
        double summed_cost = 0.0;
        for (int b = 0; b < blocks; ++b) {
            for (std::size_t p = 0; p < P; ++p) summed[p] += shares[std::size_t(b) * P + p];
            summed_cost += cost_shares[std::size_t(b)];
        }
        const std::string name = std::to_string(c.m) + "x" + std::to_string(c.inputs) + "-" + std::to_string(H) + "-" +
                                 std::to_string(K) + " (" + std::to_string(blocks) + " blocks)";
        // Compared as means over the examples, the scale the backend uses them at.
        std::vector<double> summed_mean(P), grad_mean(P);
        for (std::size_t p = 0; p < P; ++p) {
            summed_mean[p] = summed[p] / c.m;
            grad_mean[p] = grad[p] / c.m;
        }
        this->expect_close(summed_mean, grad_mean, name + " gradient shares");
        this->expect_close(std::vector<double>{summed_cost / c.m}, std::vector<double>{cost / c.m},
                           name + " cost shares");

        // grad = init + (1/m) sum of the shares; theta -= alpha grad.
        const std::vector<T> init = this->random_values(P, -0.1, 0.1, 3);
        auto dgrad = this->upload(init);
        auto dtheta_step = this->upload(theta);
        const double alpha = 0.8;
        kernels::sum_gradient_partials(static_cast<int>(P), blocks, partials.data(), static_cast<T>(1.0 / c.m),
                                       dgrad.data(), static_cast<T>(alpha), dtheta_step.data(), this->stream_);
        std::vector<double> expected_grad(P), expected_theta(P);
        for (std::size_t p = 0; p < P; ++p) {
            expected_grad[p] = double(init[p]) + grad[p] / c.m;
            expected_theta[p] = double(theta[p]) - alpha * expected_grad[p];
        }
        this->expect_close(this->download(dgrad), expected_grad, name + " summed gradient");
        this->expect_close(this->download(dtheta_step), expected_theta, name + " step");
    }
}

}  // namespace
}  // namespace digitnet
