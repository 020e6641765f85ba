// The CUDA backend against the CPU reference and the CPU backend: cost, every gradient entry and
// the output over a grid of awkward sizes, the seed's training run, the gradient check in double,
// mini-batches (cost_and_gradient_on), determinism, the stop flag. Compiled in every build (public headers only): on a machine without
// a GPU, or in a build without CUDA, the GPU tests skip and only UnavailableWithoutGpu runs.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "digitnet/cpu/cpu_backend.hpp"
#include "digitnet/model/cpu_reference.hpp"
#include "digitnet/cuda/cuda_backend.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/model/gradient_check.hpp"
#include "digitnet/io/mat_io.hpp"
#include "test_util.hpp"
#include "tolerances.hpp"

namespace digitnet {
namespace {

using testing::tolerance_for;
using testing::worst_error_ratio;

#define SKIP_WITHOUT_GPU()                                                                       \
    do {                                                                                         \
        if (!gpu_info())                                                                         \
            GTEST_SKIP() << (cuda_compiled_in() ? "no CUDA GPU on this machine"                  \
                                                : "this build has no CUDA backend");             \
    } while (0)

bool bit_identical(const std::vector<double>& a, const std::vector<double>& b) {
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

// ---- without a GPU too ----

TEST(CudaBackend, GpuInfoNeverThrowsAndAgreesWithTheBuild) {
    std::optional<GpuInfo> info;
    EXPECT_NO_THROW(info = gpu_info());
    if (!cuda_compiled_in()) {
        EXPECT_FALSE(info.has_value());
    }
    if (info) {
        std::printf("  GPU: %s, sm_%d%d, %zu MiB free of %zu\n", info->name.c_str(), info->compute_major,
                    info->compute_minor, info->free_memory >> 20, info->total_memory >> 20);
        EXPECT_FALSE(info->name.empty());
        EXPECT_GT(info->compute_major, 0);
        EXPECT_GT(info->total_memory, 0u);
    }
}

TEST(CudaBackend, UnavailableWithoutGpu) {
    if (gpu_info()) GTEST_SKIP() << "a GPU is present: this test is for machines without one";
    const Dataset data = testing::random_dataset(10, 4, 3, 1);
    const Layout layout = make_layout(4, {5}, 3);
    for (const Precision precision : {Precision::Float, Precision::Double}) {
        try {
            make_cuda_backend(precision, layout, data);
            ADD_FAILURE() << "make_cuda_backend did not throw without a GPU";
        } catch (const UnavailableError& e) {
            EXPECT_NE(std::string(e.what()).find("HINT"), std::string::npos) << e.what();
        } catch (const std::exception& e) {
            ADD_FAILURE() << "expected UnavailableError, got: " << e.what();
        }
    }
}

// ---- with a GPU ----

struct Shape {
    int m, n;
    std::vector<int> hidden;
    int K;
};

std::string shape_name(const Shape& s) {
    // Appended piece by piece: "m" + std::to_string(...) trips GCC 12's false -Wrestrict (PR 105329).
    std::string name = "m";
    name += std::to_string(s.m);
    name += "_";
    name += std::to_string(s.n);
    for (int h : s.hidden) {
        name += "_";
        name += std::to_string(h);
    }
    name += "_";
    name += std::to_string(s.K);
    return name;
}

// Readable test parameters in gtest's output ("m37_400_25_10" rather than the bytes).
void PrintTo(const Shape& s, std::ostream* os) { *os << shape_name(s); }

class CudaBackendAgainstReference : public ::testing::TestWithParam<std::tuple<Shape, Precision>> {};

TEST_P(CudaBackendAgainstReference, CostGradientAndOutput) {
    SKIP_WITHOUT_GPU();
    const auto& [shape, precision] = GetParam();
    const Dataset data = testing::random_dataset(shape.m, shape.n, shape.K, 11);
    const Layout layout = make_layout(shape.n, shape.hidden, shape.K);
    const Parameters theta = random_parameters(layout, 5);
    const double lambda = 0.7;
    const testing::Tolerance tol = tolerance_for(precision);

    Parameters expected_gradient;
    const double expected_cost = reference::cost_and_gradient(theta, data, lambda, &expected_gradient);
    // Fused where the network allows it, in both precisions (the default takes it in float only):
    // every one-hidden-layer shape here checks the fused kernels, every other one the general path.
    auto backend = make_cuda_backend(precision, layout, data, CudaOptions{OneHiddenLayerPath::Fused});
    EXPECT_EQ(backend->device(), Device::Gpu);
    EXPECT_EQ(backend->precision(), precision);
    EXPECT_EQ(backend->examples(), shape.m);
    backend->set_parameters(theta);
    // The parameters come back as set (rounded to float in float).
    EXPECT_LE(worst_error_ratio(backend->parameters().values, theta.values, tol), 1.0);
    Parameters gradient;
    const double cost = backend->cost_and_gradient(lambda, &gradient);
    ASSERT_EQ(gradient.layout, layout);
    ASSERT_EQ(gradient.values.size(), expected_gradient.values.size());

    const double cost_ratio = worst_error_ratio(std::vector<double>{cost}, std::vector<double>{expected_cost}, tol);
    const double gradient_ratio = worst_error_ratio(gradient.values, expected_gradient.values, tol);
    // Without the gradient the cost is the same number.
    const double cost_only = backend->cost_and_gradient(lambda, nullptr);

    const Matrix<double> h = backend->output(data.X);
    const Matrix<double> expected_h = reference::output(theta, data.X);
    ASSERT_EQ(h.rows, shape.m);
    ASSERT_EQ(h.cols, shape.K);
    const double output_ratio = worst_error_ratio(h.data, expected_h.data, tol);
    // Output for other examples than the training set (fewer rows, other values).
    const Dataset other = testing::random_dataset(53, shape.n, shape.K, 12);
    const double other_ratio =
        worst_error_ratio(backend->output(other.X).data, reference::output(theta, other.X).data, tol);

    std::printf("  %s %s: worst error / tolerance: cost %.3g, gradient %.3g, output %.3g, other output %.3g\n",
                shape_name(shape).c_str(), to_string(precision), cost_ratio, gradient_ratio, output_ratio,
                other_ratio);
    EXPECT_LE(cost_ratio, 1.0) << cost << " vs " << expected_cost;
    EXPECT_LE(gradient_ratio, 1.0);
    EXPECT_LE(output_ratio, 1.0);
    EXPECT_LE(other_ratio, 1.0);
    EXPECT_EQ(cost_only, cost);
}

INSTANTIATE_TEST_SUITE_P(
    AwkwardSizes, CudaBackendAgainstReference,
    ::testing::Combine(::testing::Values(Shape{1, 3, {5}, 3}, Shape{37, 13, {1}, 4}, Shape{37, 400, {25}, 10},
                                         Shape{1000, 400, {7}, 10}, Shape{4999, 400, {25}, 10},
                                         Shape{1000, 64, {130}, 10}, Shape{1000, 50, {25, 7}, 7},
                                         Shape{37, 20, {7, 25, 13}, 4}, Shape{4999, 33, {130, 1}, 5},
                                         // The fused one-hidden-layer kernels: blocks that take many
                                         // tiles, the widest hidden layer and output they take, and
                                         // one unit past it (general path).
                                         Shape{20000, 20, {7}, 3}, Shape{300, 30, {32}, 32},
                                         Shape{100, 8, {33}, 4}),
                       ::testing::Values(Precision::Double, Precision::Float)),
    [](const auto& test) { return shape_name(std::get<0>(test.param)) + "_" + to_string(std::get<1>(test.param)); });

// The seed's shape runs in the fused kernels on a GPU with the shared memory for them (compute
// capability 8.0 on), and they agree with the general cuBLAS path and with the reference, in both
// precisions (the default uses them in float only).
class CudaFusedPath : public ::testing::TestWithParam<Precision> {};

TEST_P(CudaFusedPath, AgreesWithTheGeneralPathAndTheReference) {
    SKIP_WITHOUT_GPU();
    const Precision precision = GetParam();
    const Dataset data = testing::random_dataset(4999, 400, 10, 21);
    const Layout layout = make_layout(400, {25}, 10);
    const Parameters theta = random_parameters(layout, 8);
    const double lambda = 1.3;
    const testing::Tolerance tol = tolerance_for(precision);
    Parameters expected_gradient;
    const double expected_cost = reference::cost_and_gradient(theta, data, lambda, &expected_gradient);

    auto fused = make_cuda_backend(precision, layout, data, CudaOptions{OneHiddenLayerPath::Fused});
    auto general = make_cuda_backend(precision, layout, data, CudaOptions{OneHiddenLayerPath::General});
    const auto takes_fused_path = [](const Backend& backend) {
        return backend.device_name().find(", fused") != std::string::npos;
    };
    std::printf("  %s: %s / %s\n", to_string(precision), fused->device_name().c_str(), general->device_name().c_str());
    EXPECT_FALSE(takes_fused_path(*general));
    if (gpu_info()->compute_major >= 8) {
        EXPECT_TRUE(takes_fused_path(*fused));
        // The default: fused in float, general in double.
        EXPECT_EQ(takes_fused_path(*make_cuda_backend(precision, layout, data)), precision == Precision::Float);
    }

    // The worst of J and every gradient entry against the reference, as a share of the tolerance.
    const auto ratio_to_reference = [&](Backend& backend) {
        backend.set_parameters(theta);
        Parameters gradient;
        const double cost = backend.cost_and_gradient(lambda, &gradient);
        return std::max(worst_error_ratio(std::vector<double>{cost}, std::vector<double>{expected_cost}, tol),
                        worst_error_ratio(gradient.values, expected_gradient.values, tol));
    };
    const double fused_ratio = ratio_to_reference(*fused);
    const double general_ratio = ratio_to_reference(*general);
    std::printf("  worst error / tolerance against the reference: fused %.3g, general %.3g\n", fused_ratio,
                general_ratio);
    EXPECT_LE(fused_ratio, 1.0);
    EXPECT_LE(general_ratio, 1.0);

    // 20 steps of gradient descent: the same costs and parameters along the way.
    const GradientDescentOptions options{20, 0.8, lambda};
    const std::vector<double> fused_history = fused->gradient_descent(options, {});
    const std::vector<double> general_history = general->gradient_descent(options, {});
    EXPECT_LE(worst_error_ratio(fused_history, general_history, tol), 1.0);
    EXPECT_LE(worst_error_ratio(fused->parameters().values, general->parameters().values, tol), 1.0);
}

INSTANTIATE_TEST_SUITE_P(Precisions, CudaFusedPath, ::testing::Values(Precision::Float, Precision::Double),
                         [](const auto& test) { return std::string(to_string(test.param)); });

// 13 iterations: one replay of the 8-iteration graph and five of the 1-iteration graph.
TEST(CudaBackend, GradientDescentMatchesStepByStepUpdates) {
    SKIP_WITHOUT_GPU();
    const Dataset data = testing::random_dataset(53, 8, 3, 2);
    const Layout layout = make_layout(8, {6, 4}, 3);
    Parameters theta = random_parameters(layout, 9);
    auto backend = make_cuda_backend(Precision::Double, layout, data);
    backend->set_parameters(theta);
    const int iterations = 13;
    const std::vector<double> history = backend->gradient_descent({iterations, 0.5, 0.3}, {});
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

TEST(CudaBackend, GradientCheckInDouble) {
    SKIP_WITHOUT_GPU();
    for (const auto& hidden : std::vector<std::vector<int>>{{5}, {5, 4}, {1}}) {
        for (const double lambda : {0.0, 3.0}) {
            CheckProblem problem = small_check_problem(hidden);
            auto backend = make_cuda_backend(Precision::Double, problem.parameters.layout, problem.data);
            const CostFunction cost = [&](const Parameters& p) {
                backend->set_parameters(p);
                return backend->cost_and_gradient(lambda, nullptr);
            };
            const Parameters numerical = numerical_gradient(cost, problem.parameters);
            backend->set_parameters(problem.parameters);
            Parameters analytical;
            backend->cost_and_gradient(lambda, &analytical);
            const double difference = relative_difference(numerical, analytical);
            std::printf("  hidden %zu layer(s), first %d, lambda %g: relative difference %.3g (limit %.0e)\n",
                        hidden.size(), hidden.front(), lambda, difference, testing::kGradientCheckMax);
            EXPECT_LT(difference, testing::kGradientCheckMax);
        }
    }
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
    const GradientDescentOptions options{800, 0.8, 1.0};
    using Clock = std::chrono::steady_clock;

    auto gpu = make_cuda_backend(precision, layout, train);
    gpu->set_parameters(initial);
    const auto gpu_start = Clock::now();
    const std::vector<double> gpu_history = gpu->gradient_descent(options, {});
    const double gpu_ms = std::chrono::duration<double, std::milli>(Clock::now() - gpu_start).count();

    auto cpu = make_cpu_backend(precision, layout, train);
    cpu->set_parameters(initial);
    const auto cpu_start = Clock::now();
    const std::vector<double> cpu_history = cpu->gradient_descent(options, {});
    const double cpu_ms = std::chrono::duration<double, std::milli>(Clock::now() - cpu_start).count();

    ASSERT_EQ(gpu_history.size(), 800u);
    ASSERT_EQ(cpu_history.size(), 800u);
    const double gpu_accuracy = training_accuracy(*gpu, train);
    const double cpu_accuracy = training_accuracy(*cpu, train);
    const double gpu_final = gpu->cost_and_gradient(options.lambda, nullptr);
    const double cpu_final = cpu->cost_and_gradient(options.lambda, nullptr);
    const double rel = precision == Precision::Double ? 1e-9 : 1e-3;
    const testing::Tolerance final_tolerance{0.0, rel};
    std::printf("  %s: GPU %.1f ms (%.2f us/iteration incl. capture), CPU %.1f ms; accuracy GPU %.2f%% CPU %.2f%%; "
                "cost after 800: GPU %.9f CPU %.9f; worst error / tolerance: last history %.3g, final %.3g, "
                "history %.3g\n",
                to_string(precision), gpu_ms, 1000.0 * gpu_ms / 800, cpu_ms, 100 * gpu_accuracy, 100 * cpu_accuracy,
                gpu_final, cpu_final,
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
        auto first = make_cuda_backend(precision, layout, data);
        first->set_parameters(initial);
        const auto history_one = first->gradient_descent({300, 0.8, 1.0}, {});
        const auto parameters_one = first->parameters();
        // The same backend again (its graphs are reused), and a fresh backend.
        first->set_parameters(initial);
        const auto history_two = first->gradient_descent({300, 0.8, 1.0}, {});
        auto second = make_cuda_backend(precision, layout, data);
        second->set_parameters(initial);
        const auto history_three = second->gradient_descent({300, 0.8, 1.0}, {});
        EXPECT_TRUE(bit_identical(history_one, history_two)) << to_string(precision) << ": same backend";
        EXPECT_TRUE(bit_identical(history_one, history_three)) << to_string(precision) << ": fresh backend";
        EXPECT_TRUE(bit_identical(parameters_one.values, second->parameters().values)) << to_string(precision);
    }
}

TEST(CudaBackend, ProgressIsReportedAndEndsWithTheLastCost) {
    SKIP_WITHOUT_GPU();
    const Dataset data = testing::random_dataset(300, 20, 4, 4);
    const Layout layout = make_layout(20, {9}, 4);
    auto backend = make_cuda_backend(Precision::Float, layout, data);
    backend->set_parameters(random_parameters(layout, 2));
    std::vector<std::pair<int, double>> reports;
    TrainingObserver observer;
    observer.on_progress = [&](int done, double cost) { reports.emplace_back(done, cost); };
    const auto history = backend->gradient_descent({1000, 0.5, 1.0}, observer);
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
    auto backend = make_cuda_backend(Precision::Double, layout, data);
    backend->set_parameters(initial);
    std::atomic<bool> stop{true};
    TrainingObserver observer;
    observer.stop_requested = &stop;
    EXPECT_TRUE(backend->gradient_descent({100, 0.5, 1.0}, observer).empty());
    EXPECT_TRUE(bit_identical(backend->parameters().values, initial.values));
}

// A stop from another thread ends a long run early; the parameters are then exactly those of a run
// of as many iterations as the history holds.
TEST(CudaBackend, StopDuringARunKeepsAConsistentState) {
    SKIP_WITHOUT_GPU();
    const Dataset data = testing::random_dataset(1000, 50, 10, 6);
    const Layout layout = make_layout(50, {25}, 10);
    const Parameters initial = random_parameters(layout, 4);
    auto backend = make_cuda_backend(Precision::Float, layout, data);
    backend->set_parameters(initial);
    std::atomic<bool> stop{false};
    TrainingObserver observer;
    observer.stop_requested = &stop;
    std::thread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        stop = true;
    });
    const int asked = 200000;
    const auto history = backend->gradient_descent({asked, 0.5, 1.0}, observer);
    stopper.join();
    ASSERT_GT(history.size(), 0u);
    ASSERT_LT(history.size(), static_cast<std::size_t>(asked));
    std::printf("  stopped after %zu of %d iterations\n", history.size(), asked);

    auto again = make_cuda_backend(Precision::Float, layout, data);
    again->set_parameters(initial);
    const auto replay = again->gradient_descent({static_cast<int>(history.size()), 0.5, 1.0}, {});
    EXPECT_TRUE(bit_identical(history, replay));
    EXPECT_TRUE(bit_identical(backend->parameters().values, again->parameters().values));
}

// The examples `rows` of data (repeats kept), as a data set of their own: what a mini-batch means.
Dataset gathered(const Dataset& data, const std::vector<int>& rows) {
    Dataset batch;
    batch.X = Matrix<double>(static_cast<int>(rows.size()), data.features());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        for (int j = 0; j < data.features(); ++j) batch.X(static_cast<int>(i), j) = data.X(rows[i], j);
        batch.labels.push_back(data.labels[static_cast<std::size_t>(rows[i])]);
    }
    batch.classes = data.classes;
    batch.source = "a mini-batch";
    return batch;
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
        auto backend = make_cuda_backend(precision, layout, data);
        backend->set_parameters(theta);
        Parameters full_gradient;
        const double full_cost = backend->cost_and_gradient(lambda, &full_gradient);
        const std::vector<double> full_history = backend->gradient_descent({9, 0.5, lambda}, {});
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
        EXPECT_TRUE(bit_identical(backend->gradient_descent({9, 0.5, lambda}, {}), full_history));
    }
}

INSTANTIATE_TEST_SUITE_P(Precisions, CudaMiniBatch, ::testing::Values(Precision::Float, Precision::Double),
                         [](const auto& test) { return std::string(to_string(test.param)); });

TEST(CudaBackend, MiniBatchRejectsRowsOutsideTheTrainingSet) {
    SKIP_WITHOUT_GPU();
    const Dataset data = testing::random_dataset(20, 6, 3, 7);
    const Layout layout = make_layout(6, {4}, 3);
    for (const Precision precision : {Precision::Float, Precision::Double}) {
        auto backend = make_cuda_backend(precision, layout, data);
        backend->set_parameters(random_parameters(layout, 3));
        Parameters gradient;
        EXPECT_THROW(backend->cost_and_gradient_on(std::vector<int>{0, 20}, 1.0, &gradient), InputError);
        EXPECT_THROW(backend->cost_and_gradient_on(std::vector<int>{-1}, 1.0, &gradient), InputError);
        EXPECT_THROW(backend->cost_and_gradient_on(std::vector<int>{}, 1.0, &gradient), InputError);
        // Still usable afterwards, and the edge rows are fine.
        const std::vector<int> rows{0, 19, 19};
        const double expected = reference::cost_and_gradient(random_parameters(layout, 3), gathered(data, rows), 1.0, nullptr);
        EXPECT_LE(worst_error_ratio(std::vector<double>{backend->cost_and_gradient_on(rows, 1.0, &gradient)},
                                    std::vector<double>{expected}, tolerance_for(precision)),
                  1.0);
    }
}

TEST(CudaBackend, RejectsDataThatDoesNotFit) {
    SKIP_WITHOUT_GPU();
    const Dataset data = testing::random_dataset(20, 6, 3, 7);
    EXPECT_THROW(make_cuda_backend(Precision::Float, make_layout(7, {4}, 3), data), InputError);
    EXPECT_THROW(make_cuda_backend(Precision::Float, make_layout(6, {4}, 4), data), InputError);
    auto backend = make_cuda_backend(Precision::Float, make_layout(6, {4}, 3), data);
    EXPECT_THROW(backend->output(Matrix<double>(3, 5)), InputError);
    EXPECT_EQ(backend->output(Matrix<double>(0, 6)).rows, 0);
    EXPECT_THROW(backend->set_parameters(Parameters(make_layout(6, {5}, 3))), InputError);
    EXPECT_NE(backend->device_name().find("gpu ("), std::string::npos) << backend->device_name();
}

}  // namespace
}  // namespace digitnet
