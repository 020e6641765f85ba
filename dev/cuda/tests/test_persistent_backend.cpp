// The persistent backend (dev/cuda/persistent_backend.hpp: kernels/persistent_training.cu, a chunk
// of gradient-descent iterations in one cooperative launch): against the reference (the tolerance
// table) and the CUDA backend's fused path, bit-identical runs, the seed recipe against the CPU
// backend, the stop flag, mini-batches, and what it refuses, with the reason. Skipped without a GPU.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cuda_test_util.hpp"
#include "digitnet/cuda/cuda_backend.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/io/mat_io.hpp"
#include "digitnet/model/cpu_reference.hpp"
#include "persistent_backend.hpp"
#include "test_util.hpp"
#include "tolerances.hpp"

namespace digitnet::testing {
namespace {

constexpr CudaOptions kFused{.one_hidden_layer = OneHiddenLayerPath::Fused};

std::unique_ptr<Backend> training_persistent_backend(Precision precision, const Layout& layout, const Dataset& train) {
    std::unique_ptr<Backend> backend = dev::make_persistent_backend(precision, layout);
    backend->set_training_set(train);
    return backend;
}

class CudaPersistentPath : public ::testing::TestWithParam<std::tuple<Shape, Precision>> {};

// J and every gradient entry against the reference at random parameters; then 20 steps of gradient
// descent against the fused path (the same costs and parameters along the way), which also runs a
// chunk of the loop through the persistent launches.
TEST_P(CudaPersistentPath, AgreesWithTheReferenceAndTheFusedPath) {
    SKIP_WITHOUT_GPU();
    const auto& [shape, precision] = GetParam();
    const Dataset data = random_dataset(shape.m, shape.n, shape.K, 31);
    const Layout layout = make_layout(shape.n, shape.hidden, shape.K);
    const Parameters theta = random_parameters(layout, 6);
    const double lambda = 0.9;
    const Tolerance tol = tolerance_for(precision);

    auto persistent = training_persistent_backend(precision, layout, data);
    auto fused = training_cuda_backend(precision, layout, data, kFused);
    EXPECT_EQ(persistent->device_report().path, "persistent");
    EXPECT_EQ(persistent->device_report().device, Device::Gpu);
    Parameters expected_gradient;
    const double expected_cost = reference::cost_and_gradient(theta, data, lambda, &expected_gradient);
    persistent->set_parameters(theta);
    Parameters gradient;
    const double cost = persistent->cost_and_gradient(lambda, &gradient);
    const double cost_ratio = worst_error_ratio(std::vector<double>{cost}, std::vector<double>{expected_cost}, tol);
    const double gradient_ratio = worst_error_ratio(gradient.values, expected_gradient.values, tol);
    // A pass without a step leaves Theta as it was (bit for bit, as set).
    const std::vector<double> after_pass = persistent->parameters().values;
    persistent->set_parameters(theta);
    EXPECT_TRUE(bit_identical(after_pass, persistent->parameters().values));

    const GradientDescentSteps steps{20, 0.8, lambda};
    persistent->set_parameters(theta);
    fused->set_parameters(theta);
    const std::vector<double> persistent_history = gradient_descent(*persistent, steps);
    const std::vector<double> fused_history = gradient_descent(*fused, steps);
    const double history_ratio = worst_error_ratio(persistent_history, fused_history, tol);
    const double theta_ratio = worst_error_ratio(persistent->parameters().values, fused->parameters().values, tol);
    std::printf(
        "  %s %s (%s): worst error / tolerance: cost %.3g, gradient %.3g; against fused after 20 steps: "
        "history %.3g, parameters %.3g\n",
        shape_name(shape).c_str(), to_string(precision), persistent->device_name().c_str(), cost_ratio, gradient_ratio,
        history_ratio, theta_ratio);
    EXPECT_LE(cost_ratio, 1.0) << cost << " vs " << expected_cost;
    EXPECT_LE(gradient_ratio, 1.0);
    ASSERT_EQ(persistent_history.size(), 20u);
    EXPECT_LE(history_ratio, 1.0);
    EXPECT_LE(theta_ratio, 1.0);
}

INSTANTIATE_TEST_SUITE_P(
    AwkwardSizes, CudaPersistentPath,
    ::testing::Combine(::testing::Values(Shape{1, 3, {5}, 3}, Shape{31, 13, {1}, 4}, Shape{37, 400, {25}, 10},
                                         Shape{4999, 400, {25}, 10}, Shape{5000, 400, {25}, 10},
                                         Shape{20000, 20, {7}, 3}, Shape{300, 30, {32}, 32}),
                       ::testing::Values(Precision::Double, Precision::Float)),
    [](const auto& test) { return shape_name(std::get<0>(test.param)) + "_" + to_string(std::get<1>(test.param)); });

// What the persistent kernel does not take is refused with the reason, before any work.
TEST(CudaPersistentPath, RefusesWhatItDoesNotTakeAndSaysWhy) {
    SKIP_WITHOUT_GPU();
    for (const Precision precision : {Precision::Float, Precision::Double}) {
        const Layout tanh = make_layout(40, {25}, 10, Activation::Tanh);
        EXPECT_NE(dev::persistent_unavailable(precision, tanh).find("is not one sigmoid hidden layer"),
                  std::string::npos);
        EXPECT_THROW(dev::make_persistent_backend(precision, tanh), InputError);
        const Layout wide = make_layout(40, {33}, 10);
        EXPECT_NE(dev::persistent_unavailable(precision, wide).find("more than 32 hidden units"), std::string::npos)
            << dev::persistent_unavailable(precision, wide);
        EXPECT_THROW(dev::make_persistent_backend(precision, wide), InputError);
        EXPECT_FALSE(dev::persistent_unavailable(precision, make_layout(40, {25, 7}, 10)).empty());
        EXPECT_EQ(dev::persistent_unavailable(precision, make_layout(400, {25}, 10)), "");
    }
    EXPECT_NE(dev::persistent_unavailable(Precision::Tf32, make_layout(400, {25}, 10)).find("FP32/FP64 only"),
              std::string::npos);
    EXPECT_THROW(dev::make_persistent_backend(Precision::Bf16, make_layout(400, {25}, 10)), InputError);
}

TEST(CudaPersistentPath, TwoRunsGiveBitIdenticalHistories) {
    SKIP_WITHOUT_GPU();
    const Dataset data = random_dataset(4999, 400, 10, 3);
    const Layout layout = make_layout(400, {25}, 10);
    const Parameters initial = random_parameters(layout, 1);
    for (const Precision precision : {Precision::Float, Precision::Double}) {
        auto first = training_persistent_backend(precision, layout, data);
        first->set_parameters(initial);
        const auto history_one = gradient_descent(*first, {300, 0.8, 1.0});
        const auto parameters_one = first->parameters();
        first->set_parameters(initial);
        const auto history_two = gradient_descent(*first, {300, 0.8, 1.0});
        auto second = training_persistent_backend(precision, layout, data);
        second->set_parameters(initial);
        const auto history_three = gradient_descent(*second, {300, 0.8, 1.0});
        ASSERT_EQ(history_one.size(), 300u);
        EXPECT_TRUE(bit_identical(history_one, history_two)) << to_string(precision) << ": same backend";
        EXPECT_TRUE(bit_identical(history_one, history_three)) << to_string(precision) << ": fresh backend";
        EXPECT_TRUE(bit_identical(parameters_one.values, second->parameters().values)) << to_string(precision);
    }
}

class CudaPersistentSeedRecipe : public ::testing::TestWithParam<Precision> {};

// The seed's recipe (400-25-10, alpha 0.8, lambda 1, 800 iterations) on digits20: the final cost
// within 1e-6 relative of the CPU backend's in float (1e-9 in double), the same accuracy.
TEST_P(CudaPersistentSeedRecipe, MatchesTheCpuBackend) {
    SKIP_WITHOUT_GPU();
    const Precision precision = GetParam();
    const Dataset train = load_mat_data(digits20_path()).train;
    const Layout layout = make_layout(train.features(), {25}, train.classes);
    const Parameters initial = random_parameters(layout, 1);
    const GradientDescentSteps steps{800, 0.8, 1.0};
    auto gpu = training_persistent_backend(precision, layout, train);
    gpu->set_parameters(initial);
    const std::vector<double> gpu_history = gradient_descent(*gpu, steps);
    auto cpu = training_cpu_backend(precision, layout, train);
    cpu->set_parameters(initial);
    const std::vector<double> cpu_history = gradient_descent(*cpu, steps);
    ASSERT_EQ(gpu_history.size(), 800u);
    ASSERT_EQ(cpu_history.size(), 800u);
    const double gpu_final = gpu->cost_and_gradient(steps.lambda, nullptr);
    const double cpu_final = cpu->cost_and_gradient(steps.lambda, nullptr);
    const auto accuracy_of = [&](Backend& backend) {
        return accuracy(predict_classes(backend.output(train.X)), train.labels);
    };
    const Tolerance final_tolerance{0.0, precision == Precision::Double ? 1e-9 : 1e-6};
    std::printf("  %s (%s): cost after 800: GPU %.9f CPU %.9f (relative %.3g); accuracy GPU %.2f%% CPU %.2f%%\n",
                to_string(precision), gpu->device_name().c_str(), gpu_final, cpu_final,
                std::abs(gpu_final - cpu_final) / std::abs(cpu_final), 100 * accuracy_of(*gpu),
                100 * accuracy_of(*cpu));
    EXPECT_TRUE(within(gpu_final, cpu_final, final_tolerance));
    EXPECT_TRUE(within(gpu_history.back(), cpu_history.back(), final_tolerance));
    EXPECT_NEAR(accuracy_of(*gpu), accuracy_of(*cpu), 0.005);
}

INSTANTIATE_TEST_SUITE_P(Digits20, CudaPersistentSeedRecipe, ::testing::Values(Precision::Float, Precision::Double),
                         [](const auto& test) { return std::string(to_string(test.param)); });

// A stop from another thread ends a long run within a chunk (each chunk is one launch of about
// 0.1 s; the loop looks at the flag between them); the parameters are then exactly those of a run
// of as many iterations as the history holds.
TEST(CudaPersistentPath, StopDuringARunEndsWithinAChunkInAConsistentState) {
    SKIP_WITHOUT_GPU();
    const Dataset data = random_dataset(1000, 50, 10, 6);
    const Layout layout = make_layout(50, {25}, 10);
    const Parameters initial = random_parameters(layout, 4);
    auto backend = training_persistent_backend(Precision::Float, layout, data);
    backend->set_parameters(initial);
    std::atomic<bool> stop{false};
    TrainingObserver observer;
    observer.stop_requested = &stop;
    using Clock = std::chrono::steady_clock;
    Clock::time_point stopped_at;
    std::thread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        stopped_at = Clock::now();
        stop = true;
    });
    const int asked = 10000000;  // minutes of work without the stop
    const auto history = gradient_descent(*backend, {asked, 0.5, 1.0}, observer);
    const Clock::time_point returned = Clock::now();
    stopper.join();
    const double after_stop = std::chrono::duration<double>(returned - stopped_at).count();
    ASSERT_GT(history.size(), 0u);
    ASSERT_LT(history.size(), static_cast<std::size_t>(asked));
    std::printf("  stopped after %zu of %d iterations, %.3f s after the request\n", history.size(), asked, after_stop);
    // At most the chunk running and the one queued behind it (about 0.1 s each) finish after the
    // request; 2 s leaves room for a slow, shared machine.
    EXPECT_LT(after_stop, 2.0);

    auto again = training_persistent_backend(Precision::Float, layout, data);
    again->set_parameters(initial);
    const auto replay = gradient_descent(*again, {static_cast<int>(history.size()), 0.5, 1.0});
    EXPECT_TRUE(bit_identical(history, replay));
    EXPECT_TRUE(bit_identical(backend->parameters().values, again->parameters().values));
}

// Mini-batches (cost_and_gradient_on: one launch on the gathered rows, a smaller grid) against the
// reference, and the full batch unchanged by them.
TEST(CudaPersistentPath, MiniBatchesMatchTheReference) {
    SKIP_WITHOUT_GPU();
    const Dataset data = random_dataset(500, 40, 10, 21);
    const Layout layout = make_layout(40, {25}, 10);
    const Parameters theta = random_parameters(layout, 8);
    for (const Precision precision : {Precision::Float, Precision::Double}) {
        const Tolerance tol = tolerance_for(precision);
        auto backend = training_persistent_backend(precision, layout, data);
        backend->set_parameters(theta);
        const double full = backend->cost_and_gradient(0.9, nullptr);
        std::mt19937 generator(5);
        for (const int size : {37, 300, 1}) {
            std::vector<int> rows(static_cast<std::size_t>(size));
            for (int& row : rows) row = static_cast<int>(generator() % 500u);
            Parameters expected_gradient;
            const double expected = reference::cost_and_gradient(theta, gathered(data, rows), 0.9, &expected_gradient);
            Parameters gradient;
            const double cost = backend->cost_and_gradient_on(rows, 0.9, &gradient);
            EXPECT_LE(worst_error_ratio(std::vector<double>{cost}, std::vector<double>{expected}, tol), 1.0)
                << to_string(precision) << " batch " << size;
            EXPECT_LE(worst_error_ratio(gradient.values, expected_gradient.values, tol), 1.0)
                << to_string(precision) << " batch " << size;
        }
        EXPECT_EQ(backend->cost_and_gradient(0.9, nullptr), full) << to_string(precision);
    }
}

}  // namespace
}  // namespace digitnet::testing
