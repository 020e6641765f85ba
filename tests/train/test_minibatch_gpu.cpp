// The GPU mini-batch loop's pieces (host/cuda/minibatch_state.hpp, kernels/minibatch_update.cuh)
// against the CPU's: skipped without a GPU.
#include <gtest/gtest.h>

#include <random>

#include "cuda/cuda_test_util.hpp"
#include "cuda/minibatch_state.hpp"
#include "digitnet/train/shuffle.hpp"
#include "digitnet/train/update_rules.hpp"
#include "minibatch_update.cuh"
#include "tolerances.hpp"

namespace digitnet {
namespace {

TEST(GpuMiniBatch, UpdateKernelsFollowTheCpuRules) {
    SKIP_WITHOUT_GPU();
    const int n = 100003;  // not a multiple of a block
    std::mt19937_64 random(5);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> theta(n), grad(n), first(n), second(n);
    for (int i = 0; i < n; ++i) {
        theta[i] = normal(random);
        grad[i] = normal(random);
        first[i] = 0.1f * normal(random);
        second[i] = std::abs(normal(random));
    }
    cudaStream_t stream = nullptr;
    for (bool adam : {true, false}) {
        cuda::DeviceBuffer<float> d_theta(n), d_grad(n), d_first(n), d_second(n);
        d_theta.upload(theta.data(), n, stream);
        d_grad.upload(grad.data(), n, stream);
        d_first.upload(first.data(), n, stream);
        d_second.upload(second.data(), n, stream);
        std::vector<float> t = theta, f = first, s = second;
        if (adam) {
            AdamOptions o;
            const auto c = adam_coefficients<float>(o, 1e-3, 0.01, 7);
            kernels::adam_update(n, d_grad.data(), d_theta.data(), d_first.data(), d_second.data(), c, stream);
            for (int i = 0; i < n; ++i) adam_update(t[i], f[i], s[i], grad[i], c);
        } else {
            SgdOptions o{0.9, true};
            const auto c = sgd_coefficients<float>(o, 0.05, 0.01);
            kernels::sgd_update(n, d_grad.data(), d_theta.data(), d_first.data(), c, stream);
            for (int i = 0; i < n; ++i) sgd_update(t[i], f[i], grad[i], c);
        }
        std::vector<float> got(n), got_first(n);
        d_theta.download(got.data(), n, stream);
        d_first.download(got_first.data(), n, stream);
        ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
        // FMA contraction on the device: a rounding per operation, far inside float's tolerance.
        EXPECT_LE(testing::worst_error_ratio(got, t, testing::kFloatTolerance), 1.0) << adam;
        EXPECT_LE(testing::worst_error_ratio(got_first, f, testing::kFloatTolerance), 1.0) << adam;
    }
}

TEST(GpuMiniBatch, BatchRowsAreTheEpochsPermutationInPlace) {
    SKIP_WITHOUT_GPU();
    MiniBatchRun run;
    run.minibatch.batch = 7;
    run.minibatch.epochs = 2;
    run.minibatch.seed = 3;
    const int m = 23;
    cuda::MiniBatchState<float> state(run, OptimizerState{}, m, 11, nullptr);
    for (std::int64_t step = 0; step < 2 * steps_per_epoch(m, 7); ++step) {
        int count = 0;
        const int* rows = state.batch_rows(step, &count);
        std::vector<int> got(static_cast<std::size_t>(count));
        ASSERT_EQ(cudaMemcpy(got.data(), rows, got.size() * sizeof(int), cudaMemcpyDeviceToHost), cudaSuccess);
        const BatchWindow window = batch_window(step, m, 7);
        std::vector<int> order;
        epoch_permutation(3, window.epoch, m, order);
        EXPECT_EQ(got, std::vector<int>(order.begin() + window.start, order.begin() + window.start + window.size));
    }
}

}  // namespace
}  // namespace digitnet
