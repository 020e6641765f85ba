// The 3xTF32 warp product (kernels/common/tf32x3_mma.cuh) without a GPU: its fragment maps against
// the PTX ISA's tables, its TF32 rounding against an independent one, and the host model of the
// warp's product (tests/model/tf32x3_emulation.hpp) against the exact product on the fused kernel's
// shapes: 3xTF32 has float accuracy, plain TF32 is about a thousand times worse.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

#include "tf32x3_emulation.hpp"

namespace digitnet::testing {
namespace {

// PTX ISA 9.7.14.5.7 ("Matrix Fragments for mma.m16n8k8", .tf32 A, B and .f32 C/D), transcribed
// a second time in the ISA's own terms, so that the bit arithmetic of mma_fragment_layout.hpp is
// checked against the text rather than against itself.
mma::Element ptx_a(int lane, int i) {
    const int groupID = lane >> 2, threadID_in_group = lane % 4;
    const int row = (i == 0 || i == 2) ? groupID : groupID + 8;
    const int col = (i == 0 || i == 1) ? threadID_in_group : threadID_in_group + 4;
    return {row, col};
}
mma::Element ptx_b(int lane, int i) {
    const int groupID = lane >> 2, threadID_in_group = lane % 4;
    return {i == 0 ? threadID_in_group : threadID_in_group + 4, groupID};
}
mma::Element ptx_c(int lane, int i) {
    const int groupID = lane >> 2, threadID_in_group = lane % 4;
    return {(i == 0 || i == 1) ? groupID : groupID + 8, threadID_in_group * 2 + (i & 0x1)};
}

// Every (row, col) of a rows x cols fragment is held by exactly one (lane, register), the header's
// map equals the ISA's, and the inverse map returns that (lane, register).
template <class Map, class Ptx, class Inverse>
void expect_one_owner_each(int rows, int cols, int registers, Map map, Ptx ptx, Inverse inverse, const char* what) {
    std::vector<int> holders(std::size_t(rows) * cols, 0);
    for (int lane = 0; lane < mma::kWarpSize; ++lane) {
        for (int i = 0; i < registers; ++i) {
            const mma::Element e = map(lane, i);
            const mma::Element expected = ptx(lane, i);
            ASSERT_EQ(e.row, expected.row) << what << " lane " << lane << " register " << i;
            ASSERT_EQ(e.col, expected.col) << what << " lane " << lane << " register " << i;
            ASSERT_TRUE(e.row >= 0 && e.row < rows && e.col >= 0 && e.col < cols) << what;
            ++holders[std::size_t(e.row) * cols + e.col];
            const mma::Owner owner = inverse(e.row, e.col);
            EXPECT_EQ(owner.lane, lane) << what << " (" << e.row << ", " << e.col << ")";
            EXPECT_EQ(owner.reg, i) << what << " (" << e.row << ", " << e.col << ")";
        }
    }
    for (std::size_t i = 0; i < holders.size(); ++i) EXPECT_EQ(holders[i], 1) << what << " element " << i;
}

TEST(Tf32x3Model, FragmentMapsMatchThePtxIsaAndCoverEachElementOnce) {
    expect_one_owner_each(mma::kM, mma::kK, mma::kARegisters, mma::a_element, ptx_a, mma::a_owner, "A");
    expect_one_owner_each(mma::kK, mma::kN, mma::kBRegisters, mma::b_element, ptx_b, mma::b_owner, "B");
    expect_one_owner_each(mma::kM, mma::kN, mma::kCRegisters, mma::c_element, ptx_c, mma::c_owner, "C");
    // The maps are constexpr (the device unrolls them): lane 5 is groupID 1, threadID_in_group 1.
    static_assert(mma::a_element(5, 3).row == 9 && mma::a_element(5, 3).col == 5);
    static_assert(mma::b_element(5, 1).row == 5 && mma::b_element(5, 1).col == 1);
    static_assert(mma::c_element(5, 1).row == 1 && mma::c_element(5, 1).col == 3);
}

// Round to 11 significant bits, nearest with ties away from zero, through frexp and std::round
// (which rounds halves away from zero): a rounding written without bit tricks. Normal x only.
float reference_tf32(float x) {
    int exponent = 0;
    const double fraction = std::frexp(double(x), &exponent);  // x = fraction 2^exponent, |fraction| in [0.5, 1)
    return static_cast<float>(std::ldexp(std::round(std::ldexp(fraction, 11)), exponent - 11));
}

// The split's rounding (kernels/tf32_split.hpp, whose own tests are Tf32Split.*) against that
// independent one on random normal floats over 2^-60 .. 2^60: the rounding the host model uses,
// which the GPU test compares with cvt.rna.tf32.f32 bit for bit.
TEST(Tf32x3Model, Tf32RoundingMatchesAnIndependentOne) {
    std::mt19937 generator(12);
    std::uniform_real_distribution<float> value(-1.0f, 1.0f);
    std::uniform_int_distribution<int> scale(-60, 60);
    for (int i = 0; i < 200000; ++i) {
        const float x = std::ldexp(value(generator), scale(generator));
        if (std::fpclassify(x) != FP_NORMAL) continue;
        ASSERT_EQ(kernels::tf32(x), reference_tf32(x)) << x;
    }
    EXPECT_EQ(kernels::tf32(2.0f - std::ldexp(1.0f, -12)), 2.0f);  // a carry into the exponent
}

// The model of the warp's product on the fused kernel's shapes against the exact product. The
// worst error of an entry in units of its |A| |B| (eps = 2^-24, float's unit roundoff):
//   3xTF32 within 2 sqrt(K) eps and within 4x the FP32 loop's (float accuracy: the three products
//   are exact, only the accumulation and the dropped a_lo b_lo round);
//   plain TF32 at least 100x worse (it keeps 11 bits of each operand).
// And the whole product's relative error (Frobenius): 3xTF32 below 2e-6 (5.7e-7 to 6.4e-7 on the
// forward shapes, the FP32 loop 3.4e-7 to 3.6e-7: each k-step adds three products to the
// accumulator instead of one), plain TF32 above 1e-4 (2.1e-4 to 2.9e-4).
TEST(Tf32x3Model, ThreeTf32ProductsHaveFloatAccuracyAndOneDoesNot) {
    const double eps = std::ldexp(1.0, -24);
    for (const ProductCase& c : fused_kernel_product_cases()) {
        SCOPED_TRACE(c.name);
        const ProductOperands p = make_operands(c, 2026);
        const ExactProduct exact = exact_product(p.A, p.B);
        const std::vector<float> tf32x3 = model_warp_product(3, p.A, p.B);
        const std::vector<float> tf32 = model_warp_product(1, p.A, p.B);
        const std::vector<float> fp32 = fp32_loop_product(p.A, p.B);
        const double worst_tf32x3 = worst_scaled_error(tf32x3, exact);
        const double worst_tf32 = worst_scaled_error(tf32, exact);
        const double worst_fp32 = worst_scaled_error(fp32, exact);
        std::printf(
            "%-26s worst error / (|A||B|): 3xTF32 %.2e, FP32 loop %.2e, TF32 %.2e (sqrt(K) eps %.2e); "
            "relative: 3xTF32 %.2e, FP32 loop %.2e, TF32 %.2e\n",
            c.name.c_str(), worst_tf32x3, worst_fp32, worst_tf32, std::sqrt(double(c.K)) * eps,
            relative_error(tf32x3, exact), relative_error(fp32, exact), relative_error(tf32, exact));
        EXPECT_LE(worst_tf32x3, 2.0 * std::sqrt(double(c.K)) * eps);
        EXPECT_LE(worst_tf32x3, 4.0 * worst_fp32 + 4.0 * eps);
        EXPECT_GE(worst_tf32, 100.0 * worst_tf32x3);
        EXPECT_LE(relative_error(tf32x3, exact), 2e-6);
        EXPECT_GE(relative_error(tf32, exact), 1e-4);
    }
}

}  // namespace
}  // namespace digitnet::testing
