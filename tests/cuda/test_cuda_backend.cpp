// The CUDA backend against the CPU reference: cost, every gradient entry and the output over a
// grid of awkward sizes, on the fused and the general path; the input rules it shares with the
// CPU backend (check_fits); prediction without a training set; a training set replaced. Compiled
// in every build (public headers only): on a machine without a GPU, or in a build without CUDA, the
// GPU tests skip and only UnavailableWithoutGpu runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "cuda_test_util.hpp"
#include "digitnet/cuda/cuda_backend.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/model/cpu_reference.hpp"
#include "test_util.hpp"
#include "tolerances.hpp"

namespace digitnet::testing {
namespace {

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
    const Layout layout = make_layout(4, {5}, 3);
    for (const Precision precision : {Precision::Float, Precision::Double}) {
        try {
            make_cuda_backend(precision, layout);
            ADD_FAILURE() << "make_cuda_backend did not throw without a GPU";
        } catch (const UnavailableError& e) {
            EXPECT_NE(std::string(e.what()).find("HINT"), std::string::npos) << e.what();
        } catch (const std::exception& e) {
            ADD_FAILURE() << "expected UnavailableError, got: " << e.what();
        }
    }
}

// ---- with a GPU ----

class CudaBackendAgainstReference : public ::testing::TestWithParam<std::tuple<Shape, Precision>> {};

TEST_P(CudaBackendAgainstReference, CostGradientAndOutput) {
    SKIP_WITHOUT_GPU();
    const auto& [shape, precision] = GetParam();
    const Dataset data = random_dataset(shape.m, shape.n, shape.K, 11);
    const Layout layout = make_layout(shape.n, shape.hidden, shape.K);
    const Parameters theta = random_parameters(layout, 5);
    const double lambda = 0.7;
    const Tolerance tol = tolerance_for(precision);

    Parameters expected_gradient;
    const double expected_cost = reference::cost_and_gradient(theta, data, lambda, &expected_gradient);
    // Fused where the network allows it, in both precisions (the default takes it in float only):
    // every one-hidden-layer shape here checks the fused kernels, every other one the general path.
    auto backend =
        training_cuda_backend(precision, layout, data, CudaOptions{.one_hidden_layer = OneHiddenLayerPath::Fused});
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
    const Dataset other = random_dataset(53, shape.n, shape.K, 12);
    const double other_ratio =
        worst_error_ratio(backend->output(other.X).data, reference::output(theta, other.X).data, tol);

    std::printf("  %s %s%s: worst error / tolerance: cost %.3g, gradient %.3g, output %.3g, other output %.3g\n",
                shape_name(shape).c_str(), to_string(precision), takes_fused_path(*backend) ? " fused" : "", cost_ratio,
                gradient_ratio, output_ratio, other_ratio);
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
                                         Shape{20000, 20, {7}, 3}, Shape{300, 30, {32}, 32}, Shape{100, 8, {33}, 4}),
                       ::testing::Values(Precision::Double, Precision::Float)),
    [](const auto& test) { return shape_name(std::get<0>(test.param)) + "_" + to_string(std::get<1>(test.param)); });

// The seed's shape runs in the fused kernels on a GPU with the shared memory for them (compute
// capability 8.0 on), and they agree with the general cuBLAS path and with the reference, in both
// precisions (the default uses them in float only). Other activations and outputs fall back to
// the general path even when the fused one is asked for.
class CudaFusedPath : public ::testing::TestWithParam<Precision> {};

TEST_P(CudaFusedPath, AgreesWithTheGeneralPathAndTheReference) {
    SKIP_WITHOUT_GPU();
    const Precision precision = GetParam();
    const Dataset data = random_dataset(4999, 400, 10, 21);
    const Layout layout = make_layout(400, {25}, 10);
    const Parameters theta = random_parameters(layout, 8);
    const double lambda = 1.3;
    const Tolerance tol = tolerance_for(precision);
    Parameters expected_gradient;
    const double expected_cost = reference::cost_and_gradient(theta, data, lambda, &expected_gradient);

    auto fused =
        training_cuda_backend(precision, layout, data, CudaOptions{.one_hidden_layer = OneHiddenLayerPath::Fused});
    auto general =
        training_cuda_backend(precision, layout, data, CudaOptions{.one_hidden_layer = OneHiddenLayerPath::General});
    std::printf("  %s: %s / %s\n", to_string(precision), fused->device_name().c_str(), general->device_name().c_str());
    EXPECT_FALSE(takes_fused_path(*general));
    if (gpu_info()->compute_major >= 8) {
        EXPECT_TRUE(takes_fused_path(*fused));
        // The default: fused in float, general in double.
        EXPECT_EQ(takes_fused_path(*make_cuda_backend(precision, layout)), precision == Precision::Float);
    }
    for (const Activation f : {Activation::Tanh, Activation::Relu})
        EXPECT_FALSE(takes_fused_path(*make_cuda_backend(precision, make_layout(400, {25}, 10, f),
                                                         CudaOptions{.one_hidden_layer = OneHiddenLayerPath::Fused})));
    EXPECT_FALSE(
        takes_fused_path(*make_cuda_backend(precision, make_layout(400, {25}, 10, Activation::Sigmoid, Output::Softmax),
                                            CudaOptions{.one_hidden_layer = OneHiddenLayerPath::Fused})));

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
    const GradientDescentSteps steps{20, 0.8, lambda};
    const std::vector<double> fused_history = gradient_descent(*fused, steps);
    const std::vector<double> general_history = gradient_descent(*general, steps);
    EXPECT_LE(worst_error_ratio(fused_history, general_history, tol), 1.0);
    EXPECT_LE(worst_error_ratio(fused->parameters().values, general->parameters().values, tol), 1.0);
}

INSTANTIATE_TEST_SUITE_P(Precisions, CudaFusedPath, ::testing::Values(Precision::Float, Precision::Double),
                         [](const auto& test) { return std::string(to_string(test.param)); });

// The same rules as the CPU backend (check_fits): the features must match, the labels must be
// within the network's classes, and a set may use fewer classes than the network has.
TEST(CudaBackend, RejectsDataThatDoesNotFit) {
    SKIP_WITHOUT_GPU();
    const Dataset data = random_dataset(20, 6, 3, 7);
    EXPECT_THROW(training_cuda_backend(Precision::Float, make_layout(7, {4}, 3), data), InputError);
    EXPECT_THROW(training_cuda_backend(Precision::Float, make_layout(6, {4}, 2), data), InputError);
    auto backend = training_cuda_backend(Precision::Float, make_layout(6, {4}, 3), data);
    EXPECT_THROW(backend->output(Matrix<double>(3, 5)), InputError);
    EXPECT_EQ(backend->output(Matrix<double>(0, 6)).rows, 0);
    EXPECT_THROW(backend->set_parameters(Parameters(make_layout(6, {5}, 3))), InputError);
    const DeviceReport report = backend->device_report();
    EXPECT_EQ(report.device, Device::Gpu);
    EXPECT_EQ(report.hardware, describe(*gpu_info()));
    EXPECT_EQ(report.path, cuda_report::kFusedPath);  // the seed's kind of network, in float
    EXPECT_TRUE(report.notes.empty()) << backend->device_name();
    EXPECT_EQ(backend->device_name(), "gpu (" + describe(*gpu_info()) + ", fused)");
    Dataset bad_label = data;
    bad_label.labels[4] = 3;
    EXPECT_THROW(backend->set_training_set(bad_label), InputError);
}

// A training set with fewer classes than the network outputs (a test set without one of the
// digits): accepted, as on the CPU, and the same numbers as the reference, on both paths and both
// outputs.
TEST(CudaBackend, AcceptsFewerClassesThanTheNetworkHas) {
    SKIP_WITHOUT_GPU();
    const Dataset data = random_dataset(97, 12, 3, 8);  // labels 0..2
    for (const Output output : {Output::Sigmoid, Output::Softmax}) {
        const Layout layout = make_layout(12, {9}, 5, Activation::Sigmoid, output);  // K = 5
        const Parameters theta = random_parameters(layout, 4);
        Parameters expected_gradient;
        const double expected = reference::cost_and_gradient(theta, data, 0.5, &expected_gradient);
        for (const Precision precision : {Precision::Float, Precision::Double}) {
            for (const OneHiddenLayerPath path : {OneHiddenLayerPath::Fused, OneHiddenLayerPath::General}) {
                auto backend = training_cuda_backend(precision, layout, data, CudaOptions{.one_hidden_layer = path});
                backend->set_parameters(theta);
                Parameters gradient;
                const double cost = backend->cost_and_gradient(0.5, &gradient);
                const Tolerance tol = tolerance_for(precision);
                EXPECT_LE(worst_error_ratio(std::vector<double>{cost}, std::vector<double>{expected}, tol), 1.0)
                    << to_string(output) << " " << to_string(precision) << " " << backend->device_name();
                EXPECT_LE(worst_error_ratio(gradient.values, expected_gradient.values, tol), 1.0)
                    << to_string(output) << " " << to_string(precision) << " " << backend->device_name();
            }
        }
    }
}

// Built from a layout alone, a backend predicts; cost and gradient, mini-batches and its training
// loop say that a training set is missing (InputError), and a set attached later works.
TEST(CudaBackend, PredictsWithoutATrainingSet) {
    SKIP_WITHOUT_GPU();
    for (const Output output : {Output::Sigmoid, Output::Softmax}) {
        const Layout layout = make_layout(10, {6}, 4, Activation::Tanh, output);
        const Parameters theta = random_parameters(layout, 6);
        const Dataset data = random_dataset(41, 10, 4, 9);
        for (const Precision precision : {Precision::Float, Precision::Double}) {
            auto backend = make_cuda_backend(precision, layout);
            EXPECT_EQ(backend->examples(), 0);
            backend->set_parameters(theta);
            EXPECT_LE(worst_error_ratio(backend->output(data.X).data, reference::output(theta, data.X).data,
                                        tolerance_for(precision)),
                      1.0)
                << to_string(output) << " " << to_string(precision);
            EXPECT_THROW(backend->cost_and_gradient(1.0, nullptr), InputError);
            EXPECT_THROW(backend->cost_and_gradient_on(std::vector<int>{0}, 1.0, nullptr), InputError);
            ASSERT_NE(backend->gradient_descent_loop(), nullptr);
            EXPECT_THROW(backend->gradient_descent_loop()->run({3, 0.5, 1.0}, {}), InputError);
            // Predicting changed nothing: the parameters are as set.
            EXPECT_LE(worst_error_ratio(backend->parameters().values, theta.values, tolerance_for(precision)), 1.0);

            backend->set_training_set(data);
            EXPECT_EQ(backend->examples(), 41);
            const double expected = reference::cost_and_gradient(theta, data, 1.0, nullptr);
            EXPECT_LE(worst_error_ratio(std::vector<double>{backend->cost_and_gradient(1.0, nullptr)},
                                        std::vector<double>{expected}, tolerance_for(precision)),
                      1.0);
        }
    }
}

// A second training set replaces the first: its size, its numbers, and gradient descent (whose
// captured graphs pointed into the first) all follow it.
TEST(CudaBackend, ASecondTrainingSetReplacesTheFirst) {
    SKIP_WITHOUT_GPU();
    const Layout layout = make_layout(9, {5}, 3);
    const Parameters theta = random_parameters(layout, 2);
    const Dataset first = random_dataset(300, 9, 3, 1);
    const Dataset second = random_dataset(77, 9, 3, 2);
    for (const Precision precision : {Precision::Float, Precision::Double}) {
        auto backend = training_cuda_backend(precision, layout, first);
        backend->set_parameters(theta);
        gradient_descent(*backend, {9, 0.5, 1.0});
        backend->set_training_set(second);
        EXPECT_EQ(backend->examples(), 77);
        backend->set_parameters(theta);
        const std::vector<double> history = gradient_descent(*backend, {9, 0.5, 1.0});
        auto fresh = training_cuda_backend(precision, layout, second);
        fresh->set_parameters(theta);
        EXPECT_TRUE(bit_identical(history, gradient_descent(*fresh, {9, 0.5, 1.0}))) << to_string(precision);
        EXPECT_TRUE(bit_identical(backend->parameters().values, fresh->parameters().values)) << to_string(precision);
    }
}

}  // namespace
}  // namespace digitnet::testing
