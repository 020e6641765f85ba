// The fused one-hidden-layer kernels (kernels/one_hidden_layer_gradient.cu) against plain CPU loops,
// in float and double. Compiled only in CUDA builds; every test skips when there is no GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "kernel_test_fixture.hpp"
#include "one_hidden_layer_gradient.cuh"

namespace digitnet::testing {
namespace {

TYPED_TEST_SUITE(CudaKernels, KernelPrecisions);

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
}  // namespace digitnet::testing
