// One conformance suite for every backend and path (in the style of ggml's test-backend-ops):
// reference vs cpu float/double/tf32/bf16, cuda general float/double/tf32/bf16, cuda fused
// float/double, for every hidden activation x output, on awkward shapes. Each case compares cost, gradient and outputs
// with the CPU reference under the tolerance table, and checks that every backend accepts and
// refuses the same inputs. The CUDA cases skip (GTEST_SKIP) where no GPU is present.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "digitnet/cpu/cpu_backend.hpp"
#include "digitnet/cuda/cuda_backend.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/model/cpu_reference.hpp"
#include "test_util.hpp"
#include "tolerances.hpp"

namespace digitnet {

// What gtest prints for the cases' parameters (instead of their bytes); here, beside the types.
void PrintTo(Activation f, std::ostream* out) { *out << to_string(f); }
void PrintTo(Output o, std::ostream* out) { *out << to_string(o); }

namespace {

// A backend under test: how to make it for a layout, and whether it can run here.
struct BackendKind {
    std::string name;
    Precision precision;
    std::function<std::unique_ptr<Backend>(const Layout&)> make;
    bool needs_gpu = false;
};

// What gtest prints for a case's parameter (instead of its bytes).
void PrintTo(const BackendKind& kind, std::ostream* out) { *out << kind.name; }

std::vector<BackendKind> backend_kinds() {
    std::vector<BackendKind> kinds;
    for (Precision p : {Precision::Float, Precision::Double}) {
        const std::string suffix = p == Precision::Float ? "float" : "double";
        kinds.push_back({"cpu_" + suffix, p, [p](const Layout& l) { return make_cpu_backend(p, l); }});
        kinds.push_back({"cuda_general_" + suffix, p,
                         [p](const Layout& l) {
                             return make_cuda_backend(p, l, {.one_hidden_layer = OneHiddenLayerPath::General});
                         },
                         true});
        // Fused where the layout and device allow it, the general path otherwise (the factory's
        // fallback): the results must be the same either way.
        kinds.push_back(
            {"cuda_fused_" + suffix, p,
             [p](const Layout& l) { return make_cuda_backend(p, l, {.one_hidden_layer = OneHiddenLayerPath::Fused}); },
             true});
    }
    // The mixed precisions: emulated on the CPU, tensor cores on the general CUDA path (the fused
    // seed kernel is FP32 only), each within its own row of the tolerance table.
    for (Precision p : {Precision::Tf32, Precision::Bf16}) {
        const std::string suffix = to_string(p);
        kinds.push_back({"cpu_" + suffix, p, [p](const Layout& l) { return make_cpu_backend(p, l); }});
        kinds.push_back({"cuda_general_" + suffix, p,
                         [p](const Layout& l) {
                             return make_cuda_backend(p, l, {.one_hidden_layer = OneHiddenLayerPath::General});
                         },
                         true});
    }
    return kinds;
}

struct Shape {
    int m;
    std::vector<int> sizes;  // s0, hidden..., K
};

std::string shape_name(const Shape& s) {
    std::string name = "m" + std::to_string(s.m);
    for (int size : s.sizes) name += "_" + std::to_string(size);
    return name;
}

void PrintTo(const Shape& s, std::ostream* out) { *out << shape_name(s); }

// Sizes that divide no block or tile size; one network the fused path takes (one hidden layer of
// at most 32 units, at most 32 classes), a single example, one hidden unit, three hidden layers.
const Shape kShapes[] = {
    {37, {20, 7, 4}}, {1, {5, 3, 2}}, {300, {30, 33, 11}}, {129, {13, 9, 6, 5}}, {50, {8, 1, 3}}, {257, {400, 25, 10}},
};

void skip_without_gpu(const BackendKind& kind) {
    if (kind.needs_gpu && !gpu_info()) GTEST_SKIP() << "no GPU here: " << kind.name << " not run";
}

using Case = std::tuple<BackendKind, Activation, Output, Shape>;

class Conformance : public ::testing::TestWithParam<Case> {};

TEST_P(Conformance, CostGradientAndOutputMatchTheReference) {
    const BackendKind& kind = std::get<0>(GetParam());
    skip_without_gpu(kind);
    if (::testing::Test::IsSkipped()) return;
    const Shape& shape = std::get<3>(GetParam());
    const Layout layout =
        make_layout(shape.sizes.front(), std::vector<int>(shape.sizes.begin() + 1, shape.sizes.end() - 1),
                    shape.sizes.back(), std::get<1>(GetParam()), std::get<2>(GetParam()));
    const Dataset data = testing::random_dataset(shape.m, layout.inputs(), layout.classes(), 11);
    const Parameters theta = random_parameters(layout, 5);
    const double lambda = 0.9;

    Parameters expected_gradient;
    const double expected_cost = reference::cost_and_gradient(theta, data, lambda, &expected_gradient);
    const Matrix<double> expected_h = reference::output(theta, data.X);

    std::unique_ptr<Backend> backend = kind.make(layout);
    backend->set_training_set(data);
    backend->set_parameters(theta);
    Parameters gradient;
    const double cost = backend->cost_and_gradient(lambda, &gradient);
    const Matrix<double> h = backend->output(data.X);

    const testing::Tolerance t = testing::tolerance_for(kind.precision, layout.hidden);
    const double cost_ratio =
        testing::worst_error_ratio(std::vector<double>{cost}, std::vector<double>{expected_cost}, t);
    const double gradient_ratio = testing::worst_error_ratio(gradient.values, expected_gradient.values, t);
    const double output_ratio = testing::worst_error_ratio(h.data, expected_h.data, t);
    std::printf("  %s %s: worst error / tolerance: cost %.3f, gradient %.3f, output %.3f\n", kind.name.c_str(),
                layout.describe().c_str(), cost_ratio, gradient_ratio, output_ratio);
    EXPECT_LE(cost_ratio, 1.0);
    EXPECT_LE(gradient_ratio, 1.0);
    EXPECT_LE(output_ratio, 1.0);
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
    return std::get<0>(info.param).name + "_" + to_string(std::get<1>(info.param)) + "_" +
           to_string(std::get<2>(info.param)) + "_" + shape_name(std::get<3>(info.param));
}

INSTANTIATE_TEST_SUITE_P(EveryBackend, Conformance,
                         ::testing::Combine(::testing::ValuesIn(backend_kinds()),
                                            ::testing::Values(Activation::Sigmoid, Activation::Tanh, Activation::Relu),
                                            ::testing::Values(Output::Sigmoid, Output::Softmax),
                                            ::testing::ValuesIn(kShapes)),
                         case_name);

// The same inputs are accepted and refused by every backend.
class InputRules : public ::testing::TestWithParam<BackendKind> {};

TEST_P(InputRules, EveryBackendAcceptsAndRefusesTheSame) {
    const BackendKind& kind = GetParam();
    skip_without_gpu(kind);
    if (::testing::Test::IsSkipped()) return;
    const Layout layout = make_layout(6, {4}, 5);

    // Predicting needs no training set; training does.
    std::unique_ptr<Backend> backend = kind.make(layout);
    EXPECT_EQ(backend->examples(), 0);
    backend->set_parameters(random_parameters(layout, 2));
    const Dataset data = testing::random_dataset(9, 6, 5, 3);
    const Matrix<double> h = backend->output(data.X);
    EXPECT_EQ(h.rows, 9);
    EXPECT_EQ(h.cols, 5);
    EXPECT_THROW(backend->cost_and_gradient(1.0, nullptr), InputError);

    // Fewer classes in the data than the network has: accepted (a set without one of the digits).
    Dataset fewer = testing::random_dataset(9, 6, 3, 4);
    EXPECT_NO_THROW(backend->set_training_set(fewer));
    EXPECT_EQ(backend->examples(), 9);
    EXPECT_TRUE(std::isfinite(backend->cost_and_gradient(1.0, nullptr)));

    // More classes than outputs, a label beyond them, or the wrong number of features: refused.
    Dataset more = testing::random_dataset(9, 6, 7, 4);
    EXPECT_THROW(backend->set_training_set(more), InputError);
    Dataset bad_label = fewer;
    bad_label.labels[4] = 5;
    EXPECT_THROW(backend->set_training_set(bad_label), InputError);
    EXPECT_THROW(backend->set_training_set(testing::random_dataset(9, 7, 5, 4)), InputError);
    EXPECT_THROW(backend->output(testing::random_dataset(2, 7, 5, 4).X), InputError);

    // Parameters of another layout are refused.
    EXPECT_THROW(backend->set_parameters(random_parameters(make_layout(6, {3}, 5), 1)), InputError);
    Layout softmax = layout;
    softmax.output = Output::Softmax;
    EXPECT_THROW(backend->set_parameters(random_parameters(softmax, 1)), InputError);
}

std::string kind_name(const ::testing::TestParamInfo<BackendKind>& param) { return param.param.name; }

INSTANTIATE_TEST_SUITE_P(EveryBackend, InputRules, ::testing::ValuesIn(backend_kinds()), kind_name);

}  // namespace
}  // namespace digitnet
