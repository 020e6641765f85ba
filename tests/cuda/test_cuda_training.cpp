// The CUDA backend's training: its graph-replayed gradient-descent loop against step-by-step
// updates, the seed's recipe against the CPU backend, determinism, progress and the stop flag;
// mini-batches (cost_and_gradient_on) against the reference. Skips without a GPU.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cuda_test_util.hpp"
#include "digitnet/cuda/cuda_backend.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/io/mat_io.hpp"
#include "digitnet/model/cpu_reference.hpp"
#include "test_util.hpp"
#include "tolerances.hpp"

namespace digitnet::testing {
namespace {

// 13 iterations: one replay of the 8-iteration graph and five of the 1-iteration graph.
TEST(CudaBackend, GradientDescentMatchesStepByStepUpdates) {
    SKIP_WITHOUT_GPU();
    const Dataset data = testing::random_dataset(53, 8, 3, 2);
    const Layout layout = make_layout(8, {6, 4}, 3);
    Parameters theta = random_parameters(layout, 9);
    auto backend = training_cuda_backend(Precision::Double, layout, data);
    backend->set_parameters(theta);
    const int iterations = 13;
    const std::vector<double> history = gradient_descent(*backend, {iterations, 0.5, 0.3});
    ASSERT_EQ(history.size(), static_cast<std::size_t>(iterations));
    std::vector<double> expected;
    for (int it = 0; it < iterations; ++it) {
        Parameters gradient;
        expected.push_back(reference::cost_and_gradient(theta, data, 0.3, &gradient));
        for (std::size_t j = 0; j < theta.values.size(); ++j) theta.values[j] -= 0.5 * gradient.values[j];
    }
    const double history_ratio = worst_error_ratio(history, expected, testing::kDoubleTolerance);
    const double theta_ratio = worst_error_ratio(backend->parameters().values, theta.values, testing::kDoubleTolerance);
    std::printf("  worst error / tolerance: history %.3g, parameters %.3g\n", history_ratio, theta_ratio);
    EXPECT_LE(history_ratio, 1.0);
    EXPECT_LE(theta_ratio, 1.0);
}

Dataset digits20_train() { return load_mat_data(testing::digits20_path()).train; }

double training_accuracy(Backend& backend, const Dataset& data) {
    return accuracy(predict_classes(backend.output(data.X)), data.labels);
}

class CudaSeedRecipe : public ::testing::TestWithParam<Precision> {};

// The seed's recipe (400-25-10, alpha 0.8, lambda 1, 800 iterations) on digits20: the GPU ends
// where the CPU backend of the same precision ends.
TEST_P(CudaSeedRecipe, MatchesTheCpuBackend) {
    SKIP_WITHOUT_GPU();
    const Precision precision = GetParam();
    const Dataset train = digits20_train();
    const Layout layout = make_layout(train.features(), {25}, train.classes);
    const Parameters initial = random_parameters(layout, 1);
    const GradientDescentSteps options{800, 0.8, 1.0};
    using Clock = std::chrono::steady_clock;

    auto gpu = training_cuda_backend(precision, layout, train);
    gpu->set_parameters(initial);
    const auto gpu_start = Clock::now();
    const std::vector<double> gpu_history = gradient_descent(*gpu, options);
    const double gpu_ms = std::chrono::duration<double, std::milli>(Clock::now() - gpu_start).count();

    auto cpu = training_cpu_backend(precision, layout, train);
    cpu->set_parameters(initial);
    const auto cpu_start = Clock::now();
    const std::vector<double> cpu_history = gradient_descent(*cpu, options);
    const double cpu_ms = std::chrono::duration<double, std::milli>(Clock::now() - cpu_start).count();

    ASSERT_EQ(gpu_history.size(), 800u);
    ASSERT_EQ(cpu_history.size(), 800u);
    const double gpu_accuracy = training_accuracy(*gpu, train);
    const double cpu_accuracy = training_accuracy(*cpu, train);
    const double gpu_final = gpu->cost_and_gradient(options.lambda, nullptr);
    const double cpu_final = cpu->cost_and_gradient(options.lambda, nullptr);
    const double rel = precision == Precision::Double ? 1e-9 : 1e-3;
    const testing::Tolerance final_tolerance{0.0, rel};
    std::printf(
        "  %s: GPU %.1f ms (%.2f us/iteration incl. capture), CPU %.1f ms; accuracy GPU %.2f%% CPU %.2f%%; "
        "cost after 800: GPU %.9f CPU %.9f; worst error / tolerance: last history %.3g, final %.3g, "
        "history %.3g\n",
        to_string(precision), gpu_ms, 1000.0 * gpu_ms / 800, cpu_ms, 100 * gpu_accuracy, 100 * cpu_accuracy, gpu_final,
        cpu_final,
        worst_error_ratio(std::vector<double>{gpu_history.back()}, std::vector<double>{cpu_history.back()},
                          final_tolerance),
        worst_error_ratio(std::vector<double>{gpu_final}, std::vector<double>{cpu_final}, final_tolerance),
        worst_error_ratio(gpu_history, cpu_history, final_tolerance));
    EXPECT_NEAR(100 * gpu_accuracy, 100 * cpu_accuracy, 0.5);
    EXPECT_GT(gpu_accuracy, 0.9);
    EXPECT_TRUE(testing::within(gpu_history.back(), cpu_history.back(), final_tolerance));
    EXPECT_TRUE(testing::within(gpu_final, cpu_final, final_tolerance));
    EXPECT_LE(worst_error_ratio(gpu_history, cpu_history, final_tolerance), 1.0);
}

INSTANTIATE_TEST_SUITE_P(Digits20, CudaSeedRecipe, ::testing::Values(Precision::Float, Precision::Double),
                         [](const auto& test) { return std::string(to_string(test.param)); });

TEST(CudaBackend, TwoRunsGiveBitIdenticalHistories) {
    SKIP_WITHOUT_GPU();
    const Dataset data = testing::random_dataset(4999, 400, 10, 3);
    const Layout layout = make_layout(400, {25}, 10);
    const Parameters initial = random_parameters(layout, 1);
    for (const Precision precision : {Precision::Float, Precision::Double}) {
        auto first = training_cuda_backend(precision, layout, data);
        first->set_parameters(initial);
        const auto history_one = gradient_descent(*first, {300, 0.8, 1.0});
        const auto parameters_one = first->parameters();
        // The same backend again (its graphs are reused), and a fresh backend.
        first->set_parameters(initial);
        const auto history_two = gradient_descent(*first, {300, 0.8, 1.0});
        auto second = training_cuda_backend(precision, layout, data);
        second->set_parameters(initial);
        const auto history_three = gradient_descent(*second, {300, 0.8, 1.0});
        EXPECT_TRUE(bit_identical(history_one, history_two)) << to_string(precision) << ": same backend";
        EXPECT_TRUE(bit_identical(history_one, history_three)) << to_string(precision) << ": fresh backend";
        EXPECT_TRUE(bit_identical(parameters_one.values, second->parameters().values)) << to_string(precision);
    }
}

// How many iterations one CUDA graph holds changes only the launches, never a result: 1, 8 (the
// default), 32 and 128 iterations a graph give the same history and weights bit for bit, on the
// fused and the general path, for a run that is not a multiple of any of them (301 iterations).
// Fewer than 1 is refused.
TEST(CudaBackend, IterationsPerGraphChangeNoResult) {
    SKIP_WITHOUT_GPU();
    const Dataset data = testing::random_dataset(777, 400, 10, 5);
    const Layout layout = make_layout(400, {25}, 10);
    const Parameters initial = random_parameters(layout, 2);
    for (const OneHiddenLayerPath path : {OneHiddenLayerPath::Fused, OneHiddenLayerPath::General}) {
        std::vector<double> reference_history, reference_weights;
        for (const int per_graph : {1, 8, 32, 128}) {
            auto backend =
                training_cuda_backend(Precision::Float, layout, data,
                                      CudaOptions{.one_hidden_layer = path, .iterations_per_graph = per_graph});
            backend->set_parameters(initial);
            const auto history = gradient_descent(*backend, {301, 0.8, 1.0});
            ASSERT_EQ(history.size(), 301u);
            if (per_graph == 1) {
                reference_history = history;
                reference_weights = backend->parameters().values;
                continue;
            }
            EXPECT_TRUE(bit_identical(history, reference_history)) << per_graph << " iterations a graph";
            EXPECT_TRUE(bit_identical(backend->parameters().values, reference_weights)) << per_graph;
        }
    }
    EXPECT_THROW(
        make_cuda_backend(Precision::Float, layout,
                          CudaOptions{.one_hidden_layer = OneHiddenLayerPath::Automatic, .iterations_per_graph = 0}),
        std::invalid_argument);
}

TEST(CudaBackend, ProgressIsReportedAndEndsWithTheLastCost) {
    SKIP_WITHOUT_GPU();
    const Dataset data = testing::random_dataset(300, 20, 4, 4);
    const Layout layout = make_layout(20, {9}, 4);
    auto backend = training_cuda_backend(Precision::Float, layout, data);
    backend->set_parameters(random_parameters(layout, 2));
    std::vector<std::pair<int, double>> reports;
    TrainingObserver observer;
    observer.on_progress = [&](int done, double cost) { reports.emplace_back(done, cost); };
    const auto history = gradient_descent(*backend, {1000, 0.5, 1.0}, observer);
    ASSERT_EQ(history.size(), 1000u);
    ASSERT_FALSE(reports.empty());
    EXPECT_EQ(reports.back().first, 1000);
    EXPECT_EQ(reports.back().second, history.back());
    for (std::size_t i = 1; i < reports.size(); ++i) EXPECT_GT(reports[i].first, reports[i - 1].first);
}

TEST(CudaBackend, StopRequestedBeforeStartRunsNothing) {
    SKIP_WITHOUT_GPU();
    const Dataset data = testing::random_dataset(100, 10, 3, 5);
    const Layout layout = make_layout(10, {4}, 3);
    const Parameters initial = random_parameters(layout, 3);
    auto backend = training_cuda_backend(Precision::Double, layout, data);
    backend->set_parameters(initial);
    std::atomic<bool> stop{true};
    TrainingObserver observer;
    observer.stop_requested = &stop;
    EXPECT_TRUE(gradient_descent(*backend, {100, 0.5, 1.0}, observer).empty());
    EXPECT_TRUE(bit_identical(backend->parameters().values, initial.values));
}

// A stop from another thread ends a long run early; the parameters are then exactly those of a run
// of as many iterations as the history holds.
TEST(CudaBackend, StopDuringARunKeepsAConsistentState) {
    SKIP_WITHOUT_GPU();
    const Dataset data = testing::random_dataset(1000, 50, 10, 6);
    const Layout layout = make_layout(50, {25}, 10);
    const Parameters initial = random_parameters(layout, 4);
    auto backend = training_cuda_backend(Precision::Float, layout, data);
    backend->set_parameters(initial);
    std::atomic<bool> stop{false};
    TrainingObserver observer;
    observer.stop_requested = &stop;
    std::thread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        stop = true;
    });
    const int asked = 200000;
    const auto history = gradient_descent(*backend, {asked, 0.5, 1.0}, observer);
    stopper.join();
    ASSERT_GT(history.size(), 0u);
    ASSERT_LT(history.size(), static_cast<std::size_t>(asked));
    std::printf("  stopped after %zu of %d iterations\n", history.size(), asked);

    auto again = training_cuda_backend(Precision::Float, layout, data);
    again->set_parameters(initial);
    const auto replay = gradient_descent(*again, {static_cast<int>(history.size()), 0.5, 1.0});
    EXPECT_TRUE(bit_identical(history, replay));
    EXPECT_TRUE(bit_identical(backend->parameters().values, again->parameters().values));
}

class CudaMiniBatch : public ::testing::TestWithParam<Precision> {};

// cost_and_gradient_on against the reference on the gathered rows, for batches that grow the batch
// buffers (37, then 300) and that reuse a prefix of them (1, then 37 again), over one and two hidden
// layers, each batch with a repeated row; and the full batch is unchanged by the mini-batch calls,
// both cost_and_gradient and the graph-replayed gradient_descent.
TEST_P(CudaMiniBatch, MatchesTheReferenceOnTheGatheredRows) {
    SKIP_WITHOUT_GPU();
    const Precision precision = GetParam();
    const testing::Tolerance tol = tolerance_for(precision);
    const int m = 500;
    for (const auto& hidden : std::vector<std::vector<int>>{{25}, {13, 7}}) {
        const int n = 40, K = 10;
        const Dataset data = testing::random_dataset(m, n, K, 21);
        const Layout layout = make_layout(n, hidden, K);
        const Parameters theta = random_parameters(layout, 8);
        const double lambda = 0.9;
        auto backend = training_cuda_backend(precision, layout, data);
        backend->set_parameters(theta);
        Parameters full_gradient;
        const double full_cost = backend->cost_and_gradient(lambda, &full_gradient);
        const std::vector<double> full_history = gradient_descent(*backend, {9, 0.5, lambda});
        backend->set_parameters(theta);

        std::mt19937 generator(5);
        for (const int size : {37, 300, 1, 37}) {
            std::vector<int> rows(static_cast<std::size_t>(size));
            for (int& row : rows) row = static_cast<int>(generator() % static_cast<unsigned>(m));
            if (size > 2) rows[2] = rows[0];  // a repeat
            const Dataset batch = gathered(data, rows);
            Parameters expected_gradient;
            const double expected_cost = reference::cost_and_gradient(theta, batch, lambda, &expected_gradient);
            Parameters gradient;
            const double cost = backend->cost_and_gradient_on(rows, lambda, &gradient);
            ASSERT_EQ(gradient.layout, layout);
            const double cost_ratio =
                worst_error_ratio(std::vector<double>{cost}, std::vector<double>{expected_cost}, tol);
            const double gradient_ratio = worst_error_ratio(gradient.values, expected_gradient.values, tol);
            std::printf("  %zu hidden, %s, batch %d: worst error / tolerance: cost %.3g, gradient %.3g\n",
                        hidden.size(), to_string(precision), size, cost_ratio, gradient_ratio);
            EXPECT_LE(cost_ratio, 1.0) << cost << " vs " << expected_cost;
            EXPECT_LE(gradient_ratio, 1.0);
            EXPECT_EQ(backend->cost_and_gradient_on(rows, lambda, nullptr), cost) << "batch " << size;
        }

        // The full batch after mini-batches: the same numbers, bit for bit (deterministic).
        Parameters gradient;
        EXPECT_EQ(backend->cost_and_gradient(lambda, &gradient), full_cost);
        EXPECT_TRUE(bit_identical(gradient.values, full_gradient.values));
        EXPECT_TRUE(bit_identical(gradient_descent(*backend, {9, 0.5, lambda}), full_history));
    }
}

INSTANTIATE_TEST_SUITE_P(Precisions, CudaMiniBatch, ::testing::Values(Precision::Float, Precision::Double),
                         [](const auto& test) { return std::string(to_string(test.param)); });

TEST(CudaBackend, MiniBatchRejectsRowsOutsideTheTrainingSet) {
    SKIP_WITHOUT_GPU();
    const Dataset data = testing::random_dataset(20, 6, 3, 7);
    const Layout layout = make_layout(6, {4}, 3);
    for (const Precision precision : {Precision::Float, Precision::Double}) {
        auto backend = training_cuda_backend(precision, layout, data);
        backend->set_parameters(random_parameters(layout, 3));
        Parameters gradient;
        EXPECT_THROW(backend->cost_and_gradient_on(std::vector<int>{0, 20}, 1.0, &gradient), InputError);
        EXPECT_THROW(backend->cost_and_gradient_on(std::vector<int>{-1}, 1.0, &gradient), InputError);
        EXPECT_THROW(backend->cost_and_gradient_on(std::vector<int>{}, 1.0, &gradient), InputError);
        // Still usable afterwards, and the edge rows are fine.
        const std::vector<int> rows{0, 19, 19};
        const double expected =
            reference::cost_and_gradient(random_parameters(layout, 3), gathered(data, rows), 1.0, nullptr);
        EXPECT_LE(worst_error_ratio(std::vector<double>{backend->cost_and_gradient_on(rows, 1.0, &gradient)},
                                    std::vector<double>{expected}, tolerance_for(precision)),
                  1.0);
    }
}

}  // namespace
}  // namespace digitnet::testing
