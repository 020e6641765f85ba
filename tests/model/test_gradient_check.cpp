// Backpropagation against central differences (epsilon 1e-4), in double, on small awkward networks.
#include <gtest/gtest.h>

#include <cmath>

#include "digitnet/cpu/cpu_backend.hpp"
#include "digitnet/model/cpu_reference.hpp"
#include "digitnet/model/gradient_check.hpp"
#include "test_util.hpp"
#include "tolerances.hpp"

namespace digitnet {
namespace {

TEST(GradientCheck, RelativeDifferenceMeasure) {
    Parameters a(make_layout(1, {1}, 1)), b(a.layout);
    EXPECT_EQ(relative_difference(a, b), 0.0);
    a.values = {1, 2, 3, 4};
    b.values = {1, 2, 3, 4};
    EXPECT_EQ(relative_difference(a, b), 0.0);
    b.values[3] = 5;  // |a-b| = 1, |a+b| = sqrt(4+16+36+81)
    EXPECT_NEAR(relative_difference(a, b), 1.0 / std::sqrt(137.0), 1e-15);
}

TEST(GradientCheck, SmallProblemIsTheCoursesOne) {
    const CheckProblem problem = small_check_problem();
    EXPECT_EQ(problem.parameters.layout.describe(), "3-5-3");
    EXPECT_EQ(problem.data.examples(), 5);
    EXPECT_NEAR(problem.parameters.at(1, 0, 0), std::sin(1.0) / 10, 1e-15);
    EXPECT_NEAR(problem.parameters.at(1, 1, 0), std::sin(2.0) / 10, 1e-15);  // filled column-major
    EXPECT_NEAR(problem.parameters.at(1, 0, 1), std::sin(6.0) / 10, 1e-15);
    EXPECT_EQ(problem.data.labels, (std::vector<int>{1, 2, 0, 1, 2}));  // 1 + (i mod 3), as classes
}

class GradientCheckOn : public ::testing::TestWithParam<std::tuple<std::vector<int>, double>> {};

TEST_P(GradientCheckOn, ReferenceAndCpuBackendPass) {
    // Not a structured binding: clang 14 (the sanitizer and fuzz builds) cannot capture one in a lambda.
    const std::vector<int>& hidden = std::get<0>(GetParam());
    const double lambda = std::get<1>(GetParam());
    const CheckProblem problem = small_check_problem(hidden);
    auto reference_cost = [&](const Parameters& p) {
        return reference::cost_and_gradient(p, problem.data, lambda, nullptr);
    };
    const Parameters numerical = numerical_gradient(reference_cost, problem.parameters);

    Parameters analytic;
    reference::cost_and_gradient(problem.parameters, problem.data, lambda, &analytic);
    EXPECT_LT(relative_difference(numerical, analytic), testing::kGradientCheckMax);

    auto backend = testing::training_cpu_backend(Precision::Double, problem.parameters.layout, problem.data);
    backend->set_parameters(problem.parameters);
    Parameters from_backend;
    backend->cost_and_gradient(lambda, &from_backend);
    const double difference = relative_difference(numerical, from_backend);
    std::printf("  hidden %zu layers, lambda %g: relative difference %.3e\n", hidden.size(), lambda, difference);
    EXPECT_LT(difference, testing::kGradientCheckMax);
}

INSTANTIATE_TEST_SUITE_P(SmallNetworks, GradientCheckOn,
                         ::testing::Combine(::testing::Values(std::vector<int>{5}, std::vector<int>{1},
                                                              std::vector<int>{4, 6}, std::vector<int>{3, 1, 5}),
                                            ::testing::Values(0.0, 3.0)));

TEST(GradientCheck, OnARandomSubsetOfTheData) {
    const Dataset data = testing::random_dataset(16, 30, 10, 4);
    const Parameters theta = random_parameters(make_layout(30, {25}, 10), 3);
    auto backend = testing::training_cpu_backend(Precision::Double, theta.layout, data);
    auto cost = [&](const Parameters& p) {
        backend->set_parameters(p);
        return backend->cost_and_gradient(1.0, nullptr);
    };
    const Parameters numerical = numerical_gradient(cost, theta);
    backend->set_parameters(theta);
    Parameters analytic;
    backend->cost_and_gradient(1.0, &analytic);
    EXPECT_LT(relative_difference(numerical, analytic), testing::kGradientCheckMax);
}

TEST(GradientCheck, CatchesAWrongGradient) {
    const CheckProblem problem = small_check_problem();
    auto cost = [&](const Parameters& p) { return reference::cost_and_gradient(p, problem.data, 0.0, nullptr); };
    Parameters analytic;
    reference::cost_and_gradient(problem.parameters, problem.data, 0.0, &analytic);
    analytic.values[7] *= 1.001;  // a small slip must not pass
    EXPECT_GT(relative_difference(numerical_gradient(cost, problem.parameters), analytic), testing::kGradientCheckMax);
}

}  // namespace
}  // namespace digitnet
