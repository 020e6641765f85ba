// The CUDA backend in the mixed precisions (tf32, bf16: tensor cores through cublasGemmEx) against
// the CPU backend's emulation of the same precision (host/cpu/gemm_inputs.hpp): J, every gradient
// entry, a mini-batch and the outputs within testing::gpu_against_emulation, on awkward shapes and
// on one wide enough for the tensor-core kernels; a short training run ends where float's does.
// Skips without a GPU.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <tuple>
#include <vector>

#include "cuda_test_util.hpp"
#include "digitnet/cpu/cpu_backend.hpp"
#include "digitnet/cuda/cuda_backend.hpp"
#include "digitnet/io/mat_io.hpp"
#include "test_util.hpp"
#include "tolerances.hpp"

namespace digitnet::testing {
namespace {

struct MixedShape {
    int m;
    std::vector<int> sizes;  // s0, hidden..., K
    Activation hidden;
    Output output;
};

std::string mixed_shape_name(const MixedShape& s) {
    // Appended piece by piece: GCC 12's -Wrestrict misfires on long chains of std::string +.
    std::string name = "m";
    name += std::to_string(s.m);
    for (int size : s.sizes) {
        name += '_';
        name += std::to_string(size);
    }
    name += "_";
    name += to_string(s.hidden);
    name += "_";
    name += to_string(s.output);
    return name;
}

// Odd sizes (no multiple of 8: the tensor-core kernels' unaligned cases), two hidden layers, the
// seed's shape (which in float takes the fused pass, in the mixed precisions the general one), and
// a wide one.
const MixedShape kMixedShapes[] = {
    {37, {20, 7, 4}, Activation::Sigmoid, Output::Sigmoid},
    {300, {30, 33, 11}, Activation::Tanh, Output::Softmax},
    {129, {13, 9, 6, 5}, Activation::Relu, Output::Softmax},
    {500, {400, 25, 10}, Activation::Sigmoid, Output::Sigmoid},
    {2000, {784, 256, 10}, Activation::Relu, Output::Softmax},
};

class CudaMixedPrecision : public ::testing::TestWithParam<std::tuple<MixedShape, Precision>> {};

TEST_P(CudaMixedPrecision, MatchesTheCpuEmulation) {
    SKIP_WITHOUT_GPU();
    const auto& [shape, precision] = GetParam();
    const Layout layout =
        make_layout(shape.sizes.front(), std::vector<int>(shape.sizes.begin() + 1, shape.sizes.end() - 1),
                    shape.sizes.back(), shape.hidden, shape.output);
    const Dataset data = random_dataset(shape.m, layout.inputs(), layout.classes(), 17);
    const Parameters theta = random_parameters(layout, 3);
    const double lambda = 0.7;

    auto cpu = make_cpu_backend(precision, layout);
    cpu->set_training_set(data);
    cpu->set_parameters(theta);
    auto gpu =
        training_cuda_backend(precision, layout, data, CudaOptions{.one_hidden_layer = OneHiddenLayerPath::Fused});
    gpu->set_parameters(theta);
    EXPECT_EQ(gpu->precision(), precision);
    EXPECT_FALSE(takes_fused_path(*gpu)) << gpu->device_name();
    EXPECT_TRUE(gpu->device_report().has_note(precision == Precision::Tf32 ? cuda_report::kTf32TensorCores
                                                                           : cuda_report::kBf16TensorCores))
        << gpu->device_name();

    const Tolerance t = gpu_against_emulation(precision, shape.hidden);
    Parameters cpu_gradient, gpu_gradient;
    const double cpu_cost = cpu->cost_and_gradient(lambda, &cpu_gradient);
    const double gpu_cost = gpu->cost_and_gradient(lambda, &gpu_gradient);
    const std::vector<int> rows = {0, shape.m - 1, shape.m / 2, 0, shape.m / 3};
    Parameters cpu_batch, gpu_batch;
    const double cpu_batch_cost = cpu->cost_and_gradient_on(rows, lambda, &cpu_batch);
    const double gpu_batch_cost = gpu->cost_and_gradient_on(rows, lambda, &gpu_batch);
    const Matrix<double> cpu_h = cpu->output(data.X), gpu_h = gpu->output(data.X);

    const double cost_ratio = worst_error_ratio(std::vector<double>{gpu_cost, gpu_batch_cost},
                                                std::vector<double>{cpu_cost, cpu_batch_cost}, t);
    const double gradient_ratio = worst_error_ratio(gpu_gradient.values, cpu_gradient.values, t);
    const double batch_ratio = worst_error_ratio(gpu_batch.values, cpu_batch.values, t);
    const double output_ratio = worst_error_ratio(gpu_h.data, cpu_h.data, t);
    std::printf("  %s %s: worst error / tolerance: cost %.3f, gradient %.3f, batch %.3f, output %.3f\n",
                to_string(precision), mixed_shape_name(shape).c_str(), cost_ratio, gradient_ratio, batch_ratio,
                output_ratio);
    EXPECT_LE(cost_ratio, 1.0);
    EXPECT_LE(gradient_ratio, 1.0);
    EXPECT_LE(batch_ratio, 1.0);
    EXPECT_LE(output_ratio, 1.0);
    // The master weights are FP32, untouched by the BF16/TF32 copies.
    EXPECT_TRUE(bit_identical(gpu->parameters().values, cpu->parameters().values));
}

INSTANTIATE_TEST_SUITE_P(Shapes, CudaMixedPrecision,
                         ::testing::Combine(::testing::ValuesIn(kMixedShapes),
                                            ::testing::Values(Precision::Tf32, Precision::Bf16)),
                         [](const auto& param_info) {
                             return std::string(to_string(std::get<1>(param_info.param))) + "_" +
                                    mixed_shape_name(std::get<0>(param_info.param));
                         });

// 200 of the seed's gradient-descent iterations on digits20 (the graph-replayed loop): tf32 and
// bf16 end within 1% of float's cost on the same GPU, and where the CPU emulation ends.
TEST(CudaMixedPrecisionTraining, EndsWhereFloatAndTheEmulationEnd) {
    SKIP_WITHOUT_GPU();
    const Dataset train = load_mat_data(digits20_path()).train;
    const Layout layout = make_layout(400, {25}, 10);
    auto final_cost = [&](std::unique_ptr<Backend> backend) {
        backend->set_parameters(random_parameters(layout, 1));
        return gradient_descent(*backend, {200, 0.8, 1.0}).back();
    };
    const double fp32 = final_cost(training_cuda_backend(Precision::Float, layout, train));
    for (Precision precision : {Precision::Tf32, Precision::Bf16}) {
        const double gpu = final_cost(training_cuda_backend(precision, layout, train));
        auto cpu_backend = make_cpu_backend(precision, layout);
        cpu_backend->set_training_set(train);
        const double cpu = final_cost(std::move(cpu_backend));
        std::printf("  %s: final cost gpu %.6f, cpu emulation %.6f, gpu float %.6f\n", to_string(precision), gpu, cpu,
                    fp32);
        EXPECT_NEAR(gpu, fp32, 0.01 * fp32) << to_string(precision);
        EXPECT_NEAR(gpu, cpu, 0.01 * cpu) << to_string(precision);
    }
}

}  // namespace
}  // namespace digitnet::testing
