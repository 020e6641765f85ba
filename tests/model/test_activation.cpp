// The activations and outputs of activation.hpp: each derivative against a central difference of
// its function, the names, and backpropagation through every activation x output against central
// differences of the reference cost (in double, on small awkward networks).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "digitnet/errors.hpp"
#include "digitnet/model/activation.hpp"
#include "digitnet/model/cpu_reference.hpp"
#include "digitnet/model/gradient_check.hpp"
#include "tolerances.hpp"

namespace digitnet {
namespace {

constexpr Activation kActivations[] = {Activation::Sigmoid, Activation::Tanh, Activation::Relu};
constexpr Output kOutputs[] = {Output::Sigmoid, Output::Softmax};

TEST(Activation, DerivativeFromTheOutputMatchesACentralDifference) {
    for (Activation f : kActivations) {
        // Points away from ReLU's kink at 0, where its derivative is not defined.
        for (double z : {-7.5, -2.0, -0.3, 0.05, 0.7, 3.0, 9.0}) {
            const double h = 1e-6;
            const double numeric = (reference::activate(f, z + h) - reference::activate(f, z - h)) / (2 * h);
            const double from_a = reference::activation_derivative(f, reference::activate(f, z));
            EXPECT_NEAR(from_a, numeric, 1e-8) << to_string(f) << " at z = " << z;
        }
    }
}

TEST(Activation, ValuesAreTheTextbookOnes) {
    EXPECT_DOUBLE_EQ(reference::activate(Activation::Sigmoid, 0.0), 0.5);
    EXPECT_DOUBLE_EQ(reference::activate(Activation::Tanh, 0.5), std::tanh(0.5));
    EXPECT_EQ(reference::activate(Activation::Relu, -3.0), 0.0);
    EXPECT_EQ(reference::activate(Activation::Relu, 2.5), 2.5);
    // Saturated inputs give the limits, never NaN.
    EXPECT_EQ(reference::activate(Activation::Sigmoid, -1000.0), 0.0);
    EXPECT_EQ(reference::activate(Activation::Tanh, 1000.0), 1.0);
    // The float instantiations the CPU loops and kernels use agree with the double ones.
    EXPECT_NEAR(activate<Activation::Tanh>(0.3f), std::tanh(0.3), 1e-7);
    EXPECT_FLOAT_EQ(activation_derivative<Activation::Sigmoid>(0.25f), 0.1875f);
}

TEST(Activation, NamesRoundTripAndBadNamesAreRefused) {
    for (Activation f : kActivations) EXPECT_EQ(parse_activation(to_string(f), "--activation"), f);
    for (Output o : kOutputs) EXPECT_EQ(parse_output(to_string(o), "--output"), o);
    try {
        parse_activation("swish", "--activation");
        FAIL() << "swish was accepted";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("sigmoid, tanh, relu"), std::string::npos) << e.what();
    }
    EXPECT_THROW(parse_output("linear", "--output"), InputError);
}

TEST(Softmax, CostIsMinusLogOfTheProbabilityAndStaysFinite) {
    const std::vector<double> z{1.0, -2.0, 0.5};
    const std::vector<double> h = reference::softmax(z);
    EXPECT_NEAR(h[0] + h[1] + h[2], 1.0, 1e-15);
    for (int label = 0; label < 3; ++label)
        EXPECT_NEAR(reference::softmax_cost(z, label), -std::log(h[static_cast<std::size_t>(label)]), 1e-14);
    // Huge logits: computed from z - max z, so neither exp overflows nor the cost is NaN.
    const std::vector<double> huge{1000.0, -1000.0, 999.0};
    EXPECT_NEAR(reference::softmax_cost(huge, 2), 1.0 + std::log1p(std::exp(-1.0)), 1e-12);
    EXPECT_NEAR(reference::softmax_cost(huge, 1), 2000.0 + std::log1p(std::exp(-1.0)), 1e-9);
    EXPECT_NEAR(softmax_cost(1.0f, 2.0f, 0.5f), 1.5f, 1e-7f);
}

TEST(Layout, DescribesItsActivationsAndInitialisesReluTheHeWay) {
    EXPECT_EQ(make_layout(400, {25}, 10).describe(), "400-25-10");
    const Layout relu = make_layout(784, {128}, 10, Activation::Relu, Output::Softmax);
    EXPECT_EQ(relu.describe(), "784-128-10 relu softmax");
    const Parameters p = random_parameters(relu, 3);
    double largest_first = 0.0, largest_last = 0.0;
    for (double w : p.theta(1)) largest_first = std::max(largest_first, std::abs(w));
    for (double w : p.theta(2)) largest_last = std::max(largest_last, std::abs(w));
    EXPECT_LE(largest_first, std::sqrt(6.0 / 784));  // He uniform: e = sqrt(6 / L_in)
    EXPECT_GT(largest_first, 0.95 * std::sqrt(6.0 / 784));
    EXPECT_LE(largest_last, std::sqrt(6.0) / std::sqrt(128.0 + 10.0));  // the output layer: the seed's
    EXPECT_GT(largest_last, 0.9 * std::sqrt(6.0) / std::sqrt(128.0 + 10.0));
}

// Backpropagation through every activation and output, on small awkward networks, against central
// differences of the reference cost: the reference is what every backend is tested against, so
// its gradient must be right for each combination.
class ReferenceGradientCheck : public ::testing::TestWithParam<std::tuple<Activation, Output, std::vector<int>>> {};

TEST_P(ReferenceGradientCheck, PassesInDouble) {
    const Activation f = std::get<0>(GetParam());
    const Output output = std::get<1>(GetParam());
    CheckProblem problem = small_check_problem(std::get<2>(GetParam()));
    problem.parameters.layout.hidden = f;
    problem.parameters.layout.output = output;
    // ReLU has a kink at 0: scale the weights so that no z lies within a few epsilon of it here.
    if (f == Activation::Relu)
        for (double& w : problem.parameters.values) w *= 3.0;
    const double lambda = 0.7;
    auto cost = [&](const Parameters& p) { return reference::cost_and_gradient(p, problem.data, lambda, nullptr); };
    Parameters analytic;
    reference::cost_and_gradient(problem.parameters, problem.data, lambda, &analytic);
    const double difference = relative_difference(numerical_gradient(cost, problem.parameters), analytic);
    std::printf("  %s/%s %s: relative difference %.3e\n", to_string(f), to_string(output),
                problem.parameters.layout.describe().c_str(), difference);
    EXPECT_LT(difference, testing::kGradientCheckMax);
}

INSTANTIATE_TEST_SUITE_P(EveryCombination, ReferenceGradientCheck,
                         ::testing::Combine(::testing::ValuesIn(kActivations), ::testing::ValuesIn(kOutputs),
                                            ::testing::Values(std::vector<int>{5}, std::vector<int>{1},
                                                              std::vector<int>{4, 6}, std::vector<int>{3, 1, 5})));

}  // namespace
}  // namespace digitnet
