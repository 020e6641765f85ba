// The mixed precisions on the CPU (host/cpu/gemm_inputs.hpp): the rounding to TF32 and BF16 against
// a plain formula, the emulated GEMM against a plain loop over the rounded inputs, and the tf32 and
// bf16 backends' numbers (their tolerance against the double reference is in the tests'
// shared CpuBackendAgainstReference suite and tests/tolerances.hpp).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "cpu/gemm_inputs.hpp"
#include "digitnet/cpu/cpu_backend.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/model/cpu_reference.hpp"
#include "test_util.hpp"
#include "tolerances.hpp"

namespace digitnet {
namespace {

using cpu::GemmInputs;

// x rounded to `kept` mantissa bits, to nearest with ties to even, computed in double from the
// definition: the grid of spacing 2^(e - kept) around x (e its binary exponent, at least -126 so
// that subnormals keep float's fixed spacing), nearbyint (ties to even in the default mode), and
// infinity past float's range.
float plain_rounding(float x, int kept) {
    if (std::isnan(x) || std::isinf(x) || x == 0.0f) return x;
    const int e = std::max(std::ilogb(x), -126);
    const double spacing = std::ldexp(1.0, e - kept);
    const double rounded = std::nearbyint(static_cast<double>(x) / spacing) * spacing;
    return static_cast<float>(rounded);  // exact, or beyond FLT_MAX's rounding range: infinity
}

void expect_same_float(float got, float expected, float x) {
    if (std::isnan(expected)) {
        EXPECT_TRUE(std::isnan(got)) << x;
        return;
    }
    EXPECT_EQ(std::bit_cast<std::uint32_t>(got), std::bit_cast<std::uint32_t>(expected))
        << "x = " << x << " (0x" << std::hex << std::bit_cast<std::uint32_t>(x) << ")";
}

TEST(GemmInputRounding, MatchesThePlainFormulaOnRandomBitPatterns) {
    std::mt19937 generator(3);
    int checked = 0;
    for (int i = 0; i < 300000; ++i) {
        const float x = std::bit_cast<float>(static_cast<std::uint32_t>(generator()));
        expect_same_float(cpu::round_to_tf32(x), plain_rounding(x, 10), x);
        expect_same_float(cpu::round_to_bf16(x), plain_rounding(x, 7), x);
        if (::testing::Test::HasFailure()) break;
        ++checked;
    }
    EXPECT_EQ(checked, 300000);
}

TEST(GemmInputRounding, TiesGoToEvenAndSpecialValuesSurvive) {
    // 1 + 2^-11 lies halfway between 1 and TF32's next value 1 + 2^-10: to even, 1.
    EXPECT_EQ(cpu::round_to_tf32(1.0f + std::ldexp(1.0f, -11)), 1.0f);
    // 1 + 3 * 2^-11 lies halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even): up.
    EXPECT_EQ(cpu::round_to_tf32(1.0f + 3 * std::ldexp(1.0f, -11)), 1.0f + std::ldexp(1.0f, -9));
    EXPECT_EQ(cpu::round_to_bf16(1.0f + std::ldexp(1.0f, -8)), 1.0f);
    EXPECT_EQ(cpu::round_to_bf16(-(1.0f + 3 * std::ldexp(1.0f, -8))), -(1.0f + std::ldexp(1.0f, -6)));
    // Just above halfway rounds up; 0.1 is BF16's 0.10009765625.
    EXPECT_EQ(cpu::round_to_bf16(1.0f + std::ldexp(1.0f, -8) + std::ldexp(1.0f, -20)), 1.0f + std::ldexp(1.0f, -7));
    EXPECT_EQ(cpu::round_to_bf16(0.1f), 0.10009765625f);
    const float inf = std::numeric_limits<float>::infinity();
    EXPECT_EQ(cpu::round_to_bf16(inf), inf);
    EXPECT_EQ(cpu::round_to_tf32(-inf), -inf);
    EXPECT_EQ(cpu::round_to_bf16(std::numeric_limits<float>::max()), inf);
    EXPECT_TRUE(std::isnan(cpu::round_to_bf16(std::numeric_limits<float>::quiet_NaN())));
    EXPECT_TRUE(std::signbit(cpu::round_to_tf32(-0.0f)));
    // Exactly representable values are left alone.
    for (float v : {0.5f, -3.0f, 1.0f + std::ldexp(1.0f, -7), 96.0f}) EXPECT_EQ(cpu::round_to_bf16(v), v);
    std::vector<float> values{0.1f, 1.0f + std::ldexp(1.0f, -11), 7.0f}, copy(3);
    cpu::copy_rounded(GemmInputs::Tf32, values.data(), copy.data(), 3);
    for (std::size_t j = 0; j < 3; ++j) EXPECT_EQ(copy[j], cpu::round_to_tf32(values[j]));
}

struct GemmCase {
    CBLAS_TRANSPOSE trans_a, trans_b;
    int M, N, K;
};

// The rounded GEMM (sgemm on rounded floats, or sbgemm where native) against a loop in double
// over the same rounded inputs: they differ only by FP32 accumulation, bounded by K u sum |a b|.
TEST(GemmInputRounding, EmulatedGemmIsThePlainProductOfRoundedInputs) {
    std::mt19937 generator(5);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (GemmInputs mode : {GemmInputs::Tf32, GemmInputs::Bf16}) {
        for (const GemmCase& c :
             {GemmCase{CblasNoTrans, CblasNoTrans, 7, 33, 129}, GemmCase{CblasNoTrans, CblasTrans, 5, 13, 301},
              GemmCase{CblasTrans, CblasNoTrans, 17, 3, 65}, GemmCase{CblasTrans, CblasTrans, 1, 9, 40}}) {
            const int a_rows = c.trans_a == CblasNoTrans ? c.M : c.K, a_cols = c.trans_a == CblasNoTrans ? c.K : c.M;
            const int b_rows = c.trans_b == CblasNoTrans ? c.K : c.N, b_cols = c.trans_b == CblasNoTrans ? c.N : c.K;
            std::vector<float> A(static_cast<std::size_t>(a_rows) * a_cols),
                B(static_cast<std::size_t>(b_rows) * b_cols);
            for (float& v : A) v = cpu::round_gemm_input(mode, normal(generator));
            for (float& v : B) v = cpu::round_gemm_input(mode, normal(generator));
            std::vector<float> C(static_cast<std::size_t>(c.M) * c.N, 0.0f);
            cpu::gemm_rounded(mode, c.trans_a, c.trans_b, c.M, c.N, c.K, 1.0f, A.data(), a_cols, B.data(), b_cols, 0.0f,
                              C.data(), c.N);
            auto a = [&](int i, int k) {
                return c.trans_a == CblasNoTrans ? A[static_cast<std::size_t>(i) * a_cols + k]
                                                 : A[static_cast<std::size_t>(k) * a_cols + i];
            };
            auto b = [&](int k, int j) {
                return c.trans_b == CblasNoTrans ? B[static_cast<std::size_t>(k) * b_cols + j]
                                                 : B[static_cast<std::size_t>(j) * b_cols + k];
            };
            for (int i = 0; i < c.M; ++i)
                for (int j = 0; j < c.N; ++j) {
                    double exact = 0.0, magnitude = 0.0;
                    for (int k = 0; k < c.K; ++k) {
                        exact += static_cast<double>(a(i, k)) * b(k, j);
                        magnitude += std::abs(static_cast<double>(a(i, k)) * b(k, j));
                    }
                    EXPECT_LE(std::abs(C[static_cast<std::size_t>(i) * c.N + j] - exact),
                              c.K * std::ldexp(1.0, -24) * magnitude)
                        << "mode " << static_cast<int>(mode) << " M" << c.M << " N" << c.N << " K" << c.K;
                }
        }
    }
}

TEST(MixedPrecisionCpuBackend, SaysWhatItRunsAndKeepsDoubleParameters) {
    const Dataset data = testing::random_dataset(30, 6, 3, 4);
    const Layout layout = make_layout(6, {5}, 3);
    for (Precision precision : {Precision::Tf32, Precision::Bf16}) {
        auto backend = testing::training_cpu_backend(precision, layout, data);
        EXPECT_EQ(backend->precision(), precision);
        const DeviceReport report = backend->device_report();
        EXPECT_EQ(report.device, Device::Cpu);
        ASSERT_EQ(report.notes.size(), 1u) << backend->device_name();
        const std::string& note = report.notes[0];
        EXPECT_EQ(note.rfind(std::string(to_string(precision)) + " GEMM inputs", 0), 0u) << note;
        EXPECT_TRUE(note.find("emulated") != std::string::npos || note.find("sbgemm") != std::string::npos) << note;
        // The master weights are FP32: set_parameters then parameters() gives them back as floats,
        // not as their TF32/BF16 roundings.
        const Parameters theta = random_parameters(layout, 2);
        backend->set_parameters(theta);
        const Parameters back = backend->parameters();
        for (std::size_t j = 0; j < theta.values.size(); ++j)
            EXPECT_EQ(back.values[j], static_cast<double>(static_cast<float>(theta.values[j])));
    }
    EXPECT_EQ(parse_precision("bf16"), Precision::Bf16);
    EXPECT_EQ(parse_precision("tf32"), Precision::Tf32);
    EXPECT_THROW(parse_precision("fp16"), InputError);
}

// Rounding really happens: the mixed precisions' numbers differ from float's by about their unit
// roundoff (TF32 2^-11, BF16 2^-8), bf16 more than tf32, and a run repeats bit for bit.
TEST(MixedPrecisionCpuBackend, DiffersFromFloatByItsRoundoffAndRepeats) {
    const Dataset data = testing::random_dataset(400, 50, 10, 6);
    const Layout layout = make_layout(50, {30, 20}, 10, Activation::Tanh, Output::Softmax);
    const Parameters theta = random_parameters(layout, 3);
    auto gradient_of = [&](Precision precision) {
        auto backend = testing::training_cpu_backend(precision, layout, data);
        backend->set_parameters(theta);
        Parameters gradient;
        backend->cost_and_gradient(0.5, &gradient);
        return gradient.values;
    };
    const std::vector<double> exact = gradient_of(Precision::Double);
    auto relative_distance = [&](const std::vector<double>& g) {
        double difference = 0.0, norm = 0.0;
        for (std::size_t j = 0; j < g.size(); ++j) {
            difference += (g[j] - exact[j]) * (g[j] - exact[j]);
            norm += exact[j] * exact[j];
        }
        return std::sqrt(difference / norm);
    };
    const double as_float = relative_distance(gradient_of(Precision::Float));
    const std::vector<double> tf32 = gradient_of(Precision::Tf32), bf16 = gradient_of(Precision::Bf16);
    const double as_tf32 = relative_distance(tf32), as_bf16 = relative_distance(bf16);
    std::printf("  gradient's relative distance to double: float %.2e, tf32 %.2e, bf16 %.2e\n", as_float, as_tf32,
                as_bf16);
    EXPECT_LT(as_float, 1e-5);
    EXPECT_GT(as_tf32, 1e-5);
    EXPECT_LT(as_tf32, 4.0 * std::ldexp(1.0, -11));
    EXPECT_GT(as_bf16, 2.0 * as_tf32);
    EXPECT_LT(as_bf16, 4.0 * std::ldexp(1.0, -8));
    EXPECT_EQ(gradient_of(Precision::Bf16), bf16);
}

}  // namespace
}  // namespace digitnet
