// The CUDA backend for every hidden activation and output, in float and double, on every path
// (the fused and persistent ones where they apply, the general one everywhere), against the CPU reference on
// awkward shapes: J, every gradient entry, a mini-batch and the outputs (sigmoids or softmax
// probabilities), with the tolerance table; and the gradient check in double for every
// combination. Skips without a GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <tuple>
#include <vector>

#include "cuda_test_util.hpp"
#include "digitnet/cuda/cuda_backend.hpp"
#include "digitnet/model/cpu_reference.hpp"
#include "digitnet/model/gradient_check.hpp"
#include "test_util.hpp"
#include "tolerances.hpp"

namespace digitnet::testing {
namespace {

using Combination = std::tuple<Activation, Output>;

std::string combination_name(Activation f, Output o) { return std::string(to_string(f)) + "_" + to_string(o); }

const auto kCombinations =
    ::testing::Combine(::testing::Values(Activation::Sigmoid, Activation::Tanh, Activation::Relu),
                       ::testing::Values(Output::Sigmoid, Output::Softmax));

// Both precisions in one test: each test is a process of its own under ctest, and a CUDA context
// costs more to start than these cases take to run.
class CudaConformance : public ::testing::TestWithParam<std::tuple<Shape, Activation, Output>> {};

TEST_P(CudaConformance, MatchesTheReference) {
    SKIP_WITHOUT_GPU();
    const auto& [shape, activation, output] = GetParam();
    const Dataset data = random_dataset(shape.m, shape.n, shape.K, 31);
    const Layout layout = make_layout(shape.n, shape.hidden, shape.K, activation, output);
    // Seed 34: every relu case's hidden z stays at least 1.7e-4 away from 0 (measured in double), so
    // float rounding cannot move one across relu's kink, where its derivative jumps from 0 to 1.
    const Parameters theta = random_parameters(layout, 34);
    const double lambda = 0.6;

    Parameters expected_gradient;
    const double expected_cost = reference::cost_and_gradient(theta, data, lambda, &expected_gradient);
    const Matrix<double> expected_h = reference::output(theta, data.X);
    // A mini-batch smaller than the set, with a repeat: the output kernels on a prefix of the buffers.
    std::vector<int> rows;
    for (int i = 0; i < std::min(shape.m, 29); ++i) rows.push_back((i * 7 + 3) % shape.m);
    rows.push_back(rows.front());
    Parameters expected_batch_gradient;
    const double expected_batch_cost =
        reference::cost_and_gradient(theta, gathered(data, rows), lambda, &expected_batch_gradient);

    for (const Precision precision : {Precision::Double, Precision::Float}) {
        const Tolerance tol = tolerance_for(precision);
        for (const OneHiddenLayerPath path : {OneHiddenLayerPath::Fused, OneHiddenLayerPath::General}) {
            auto backend = training_cuda_backend(precision, layout, data, CudaOptions{.one_hidden_layer = path});
            const bool fused = takes_fused_path(*backend);
            // The fused kernels take only the seed's kind of network.
            if (fused) {
                EXPECT_EQ(activation, Activation::Sigmoid);
                EXPECT_EQ(output, Output::Sigmoid);
                EXPECT_EQ(layout.layers(), 2);
            }
            backend->set_parameters(theta);
            Parameters gradient;
            const double cost = backend->cost_and_gradient(lambda, &gradient);
            Parameters batch_gradient;
            const double batch_cost = backend->cost_and_gradient_on(rows, lambda, &batch_gradient);
            const Matrix<double> h = backend->output(data.X);
            ASSERT_EQ(h.rows, shape.m);
            ASSERT_EQ(h.cols, shape.K);

            const double cost_ratio =
                worst_error_ratio(std::vector<double>{cost}, std::vector<double>{expected_cost}, tol);
            const double gradient_ratio = worst_error_ratio(gradient.values, expected_gradient.values, tol);
            const double batch_ratio = std::max(
                worst_error_ratio(std::vector<double>{batch_cost}, std::vector<double>{expected_batch_cost}, tol),
                worst_error_ratio(batch_gradient.values, expected_batch_gradient.values, tol));
            const double output_ratio = worst_error_ratio(h.data, expected_h.data, tol);
            std::printf(
                "  %s %s %s %s: worst error / tolerance: cost %.3g, gradient %.3g, mini-batch %.3g, output %.3g\n",
                shape_name(shape).c_str(), combination_name(activation, output).c_str(), to_string(precision),
                fused ? "fused" : "general", cost_ratio, gradient_ratio, batch_ratio, output_ratio);
            EXPECT_LE(cost_ratio, 1.0) << cost << " vs " << expected_cost;
            EXPECT_LE(gradient_ratio, 1.0);
            EXPECT_LE(batch_ratio, 1.0);
            EXPECT_LE(output_ratio, 1.0);
            EXPECT_EQ(backend->cost_and_gradient(lambda, nullptr), cost);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(AwkwardSizes, CudaConformance,
                         ::testing::Combine(::testing::Values(Shape{1, 3, {5}, 3}, Shape{37, 13, {1}, 4},
                                                              Shape{257, 30, {32}, 32}, Shape{1000, 50, {25, 7}, 7},
                                                              Shape{37, 20, {7, 25, 13}, 1}),
                                            ::testing::Values(Activation::Sigmoid, Activation::Tanh, Activation::Relu),
                                            ::testing::Values(Output::Sigmoid, Output::Softmax)),
                         [](const auto& test) {
                             return shape_name(std::get<0>(test.param)) + "_" +
                                    combination_name(std::get<1>(test.param), std::get<2>(test.param));
                         });

// The course's gradient check (central differences against back-propagation) on the GPU in
// double, for every activation and output, one to two hidden layers, with and without
// regularisation.
class CudaGradientCheck : public ::testing::TestWithParam<Combination> {};

TEST_P(CudaGradientCheck, InDouble) {
    SKIP_WITHOUT_GPU();
    const auto& [activation, output] = GetParam();
    for (const auto& hidden : std::vector<std::vector<int>>{{5}, {5, 4}, {1}}) {
        for (const double lambda : {0.0, 3.0}) {
            CheckProblem problem = small_check_problem(hidden);
            problem.parameters.layout.hidden = activation;
            problem.parameters.layout.output = output;
            auto backend = training_cuda_backend(Precision::Double, problem.parameters.layout, problem.data);
            const CostFunction cost = [&](const Parameters& p) {
                backend->set_parameters(p);
                return backend->cost_and_gradient(lambda, nullptr);
            };
            const Parameters numerical = numerical_gradient(cost, problem.parameters);
            backend->set_parameters(problem.parameters);
            Parameters analytical;
            backend->cost_and_gradient(lambda, &analytical);
            const double difference = relative_difference(numerical, analytical);
            std::printf("  %s, hidden %zu layer(s), first %d, lambda %g: relative difference %.3g (limit %.0e)\n",
                        combination_name(activation, output).c_str(), hidden.size(), hidden.front(), lambda, difference,
                        kGradientCheckMax);
            EXPECT_LT(difference, kGradientCheckMax);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Combinations, CudaGradientCheck, kCombinations, [](const auto& test) {
    return combination_name(std::get<0>(test.param), std::get<1>(test.param));
});

}  // namespace
}  // namespace digitnet::testing
