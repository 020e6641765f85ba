// The CPU backend against the CPU reference: cost, every gradient entry and the output, in
// double (1e-9 relative), float (1e-4) and the mixed precisions tf32 and bf16 (tests/tolerances.hpp),
// on awkward sizes and several hidden layers.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "digitnet/cpu/cpu_backend.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/model/cpu_reference.hpp"
#include "test_util.hpp"
#include "tolerances.hpp"

namespace digitnet {
namespace {

using testing::tolerance_for;
using testing::worst_error_ratio;

struct Shape {
    int m, n;
    std::vector<int> hidden;
    int K;
};

std::string shape_name(const Shape& s) {
    std::string name = "m" + std::to_string(s.m) + "_" + std::to_string(s.n);
    for (int h : s.hidden) name += "_" + std::to_string(h);
    return name + "_" + std::to_string(s.K);
}

class CpuBackendAgainstReference : public ::testing::TestWithParam<std::tuple<Shape, Precision>> {};

TEST_P(CpuBackendAgainstReference, CostGradientAndOutput) {
    const auto& [shape, precision] = GetParam();
    const Dataset data = testing::random_dataset(shape.m, shape.n, shape.K, 11);
    const Layout layout = make_layout(shape.n, shape.hidden, shape.K);
    const Parameters theta = random_parameters(layout, 5);
    const double lambda = 0.7;

    Parameters expected_gradient;
    const double expected_cost = reference::cost_and_gradient(theta, data, lambda, &expected_gradient);
    auto backend = testing::training_cpu_backend(precision, layout, data);
    backend->set_parameters(theta);
    Parameters gradient;
    const double cost = backend->cost_and_gradient(lambda, &gradient);

    const testing::Tolerance tol = tolerance_for(precision);
    EXPECT_TRUE(testing::within(cost, expected_cost, tol)) << cost << " vs " << expected_cost;
    const double worst = worst_error_ratio(gradient.values, expected_gradient.values, tol);
    std::printf("  %s %s: worst gradient error %.3g of tolerance\n", shape_name(shape).c_str(), to_string(precision),
                worst);
    EXPECT_LE(worst, 1.0);

    const Matrix<double> h = backend->output(data.X), expected_h = reference::output(theta, data.X);
    EXPECT_LE(worst_error_ratio(h.data, expected_h.data, tol), 1.0);
}

INSTANTIATE_TEST_SUITE_P(
    AwkwardSizes, CpuBackendAgainstReference,
    ::testing::Combine(::testing::Values(Shape{1, 3, {5}, 3}, Shape{37, 13, {1}, 4}, Shape{101, 20, {7}, 10},
                                         Shape{250, 400, {25}, 10}, Shape{67, 9, {130}, 2}, Shape{45, 17, {7, 5}, 3},
                                         Shape{33, 11, {6, 1, 9}, 5}),
                       ::testing::Values(Precision::Double, Precision::Float, Precision::Tf32, Precision::Bf16)),
    [](const auto& test) { return shape_name(std::get<0>(test.param)) + "_" + to_string(std::get<1>(test.param)); });

TEST(CpuBackend, GradientDescentMatchesStepByStepUpdates) {
    const Dataset data = testing::random_dataset(53, 8, 3, 2);
    const Layout layout = make_layout(8, {6, 4}, 3);
    Parameters theta = random_parameters(layout, 9);
    auto backend = testing::training_cpu_backend(Precision::Double, layout, data);
    backend->set_parameters(theta);
    const std::vector<double> history = testing::gradient_descent(*backend, {5, 0.5, 0.3}, {});
    ASSERT_EQ(history.size(), 5u);
    for (int it = 0; it < 5; ++it) {
        Parameters gradient;
        const double cost = reference::cost_and_gradient(theta, data, 0.3, &gradient);
        EXPECT_TRUE(testing::within(history[static_cast<std::size_t>(it)], cost, testing::kDoubleTolerance));
        for (std::size_t j = 0; j < theta.values.size(); ++j) theta.values[j] -= 0.5 * gradient.values[j];
    }
    EXPECT_LE(worst_error_ratio(backend->parameters().values, theta.values, testing::kDoubleTolerance), 1.0);
}

TEST(CpuBackend, StopFlagEndsTrainingEarly) {
    const Dataset data = testing::random_dataset(20, 4, 2, 3);
    auto backend = testing::training_cpu_backend(Precision::Float, make_layout(4, {3}, 2), data);
    backend->set_parameters(random_parameters(backend->layout(), 1));
    std::atomic<bool> stop{false};
    TrainingObserver observer;
    observer.stop_requested = &stop;
    observer.on_progress = [&stop](int done, double) {
        if (done == 3) stop = true;
    };
    EXPECT_EQ(testing::gradient_descent(*backend, {100, 0.1, 0.0}, observer).size(), 3u);
}

TEST(CpuBackend, RejectsDataThatDoesNotFit) {
    const Dataset data = testing::random_dataset(20, 4, 2, 3);
    EXPECT_THROW(testing::training_cpu_backend(Precision::Float, make_layout(5, {3}, 2), data), InputError);
    auto backend = testing::training_cpu_backend(Precision::Float, make_layout(4, {3}, 2), data);
    EXPECT_THROW(backend->set_parameters(Parameters(make_layout(4, {2}, 2))), InputError);
}

}  // namespace
}  // namespace digitnet

namespace digitnet {
namespace {

// Features that are 0 in every training example are left out of the training passes (the blank
// border of digit images); the results must not change, and output() on data where those
// features are not 0 must still use them.
TEST(CpuBackend, FeaturesZeroInEveryExampleChangeNothing) {
    for (Precision precision : {Precision::Double, Precision::Float}) {
        Dataset data = testing::random_dataset(73, 11, 3, 12);
        for (int i = 0; i < data.examples(); ++i) data.X(i, 0) = data.X(i, 4) = data.X(i, 10) = 0.0;
        const Parameters theta = random_parameters(make_layout(11, {6, 4}, 3), 21);
        auto backend = testing::training_cpu_backend(precision, theta.layout, data);
        backend->set_parameters(theta);
        const auto tol = testing::tolerance_for(precision);

        Parameters expected, got;
        const double j = backend->cost_and_gradient(0.6, &got);
        EXPECT_TRUE(testing::within(j, reference::cost_and_gradient(theta, data, 0.6, &expected), tol));
        EXPECT_LE(testing::worst_error_ratio(got.values, expected.values, tol), 1.0) << to_string(precision);
        // The unused columns' gradient is the regularisation term alone.
        EXPECT_TRUE(testing::within(got.at(1, 2, 5), 0.6 / 73 * theta.at(1, 2, 5), tol));

        const std::vector<int> rows{3, 70, 3, 41};
        backend->cost_and_gradient_on(rows, 0.6, &got);
        Dataset gathered = data;
        gathered.X = Matrix<double>(4, 11);
        gathered.labels.clear();
        for (int i = 0; i < 4; ++i) {
            std::copy(data.X.row(rows[static_cast<std::size_t>(i)]), data.X.row(rows[static_cast<std::size_t>(i)]) + 11,
                      gathered.X.row(i));
            gathered.labels.push_back(data.labels[static_cast<std::size_t>(rows[static_cast<std::size_t>(i)])]);
        }
        reference::cost_and_gradient(theta, gathered, 0.6, &expected);
        EXPECT_LE(testing::worst_error_ratio(got.values, expected.values, tol), 1.0) << to_string(precision);

        const Dataset other = testing::random_dataset(9, 11, 3, 13);  // those features not 0 here
        EXPECT_LE(
            testing::worst_error_ratio(backend->output(other.X).data, reference::output(theta, other.X).data, tol),
            1.0);
    }
}

}  // namespace
}  // namespace digitnet
