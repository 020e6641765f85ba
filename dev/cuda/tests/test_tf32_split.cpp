// The 3xTF32 helpers (kernels/tf32_split.hpp), on the host: the split's parts are TF32 and add up
// to x within 2^-22 |x|, each product of parts is exact in float, and dot products of the seed's
// length (401) by three TF32 products reach float's accuracy, where one TF32 product does not.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

#include "tf32_split.hpp"

namespace digitnet::kernels {
namespace {

bool is_tf32(float x) { return (float_bits(x) & ~kTf32Mask) == 0; }

TEST(Tf32Split, PartsAreTf32AndAddUpToTheFloat) {
    std::mt19937 generator(12);
    std::uniform_real_distribution<float> mantissa(-1.0f, 1.0f);
    std::uniform_int_distribution<int> exponent(-60, 60);
    for (int i = 0; i < 200000; ++i) {
        const float x = std::ldexp(mantissa(generator), exponent(generator));
        const Tf32Split s = split_tf32(x);
        ASSERT_TRUE(is_tf32(s.hi)) << x;
        ASSERT_TRUE(is_tf32(s.lo)) << x;
        // Rounded to nearest: hi within half a TF32 unit (2^-11 relative), the rest within 2^-22.
        ASSERT_LE(std::abs(double(x) - double(s.hi)), std::ldexp(std::abs(double(x)), -11)) << x;
        ASSERT_LE(std::abs(double(x) - double(s.hi) - double(s.lo)), std::ldexp(std::abs(double(x)), -22)) << x;
    }
    // Ties go away from zero (cvt.rna): 1 + 2^-11 lies halfway between two TF32 numbers.
    EXPECT_EQ(tf32(1.0f + std::ldexp(1.0f, -11)), 1.0f + std::ldexp(1.0f, -10));
    EXPECT_EQ(tf32(-1.0f - std::ldexp(1.0f, -11)), -1.0f - std::ldexp(1.0f, -10));
    EXPECT_EQ(tf32(1.0f + std::ldexp(1.0f, -12)), 1.0f);
    // Special values pass through.
    EXPECT_TRUE(std::isinf(tf32(std::numeric_limits<float>::infinity())));
    EXPECT_TRUE(std::isnan(tf32(std::numeric_limits<float>::quiet_NaN())));
    EXPECT_EQ(tf32(0.0f), 0.0f);
}

TEST(Tf32Split, ProductsOfPartsAreExactInFloat) {
    std::mt19937 generator(13);
    std::uniform_real_distribution<float> uniform(-4.0f, 4.0f);
    for (int i = 0; i < 100000; ++i) {
        const Tf32Split a = split_tf32(uniform(generator));
        const Tf32Split b = split_tf32(uniform(generator));
        for (const float u : {a.hi, a.lo})
            for (const float v : {b.hi, b.lo}) ASSERT_EQ(double(u * v), double(u) * double(v)) << u << " " << v;
    }
}

// Dot products of 401 terms (a tile row of a0 against a row of Theta1): inputs in [0, 1], weights
// in [-1, 1]. The error against the double sum, relative to sum |a_i b_i|, worst over many rows.
TEST(Tf32Split, DotProductsByThreeTf32ProductsReachFloatAccuracy) {
    constexpr int kLength = 401;
    constexpr int kRows = 2000;
    std::mt19937 generator(14);
    std::uniform_real_distribution<float> input(0.0f, 1.0f), weight(-1.0f, 1.0f);
    double worst_float = 0.0, worst_3x = 0.0, worst_1x = 0.0;
    std::vector<float> a(kLength), b(kLength);
    for (int row = 0; row < kRows; ++row) {
        for (int i = 0; i < kLength; ++i) {
            a[static_cast<std::size_t>(i)] = input(generator);
            b[static_cast<std::size_t>(i)] = weight(generator);
        }
        double exact = 0.0, scale = 0.0;
        float plain = 0.0f, three = 0.0f, one = 0.0f;
        for (std::size_t i = 0; i < a.size(); ++i) {
            exact += double(a[i]) * double(b[i]);
            scale += std::abs(double(a[i]) * double(b[i]));
            plain += a[i] * b[i];
            three = tf32x3_multiply_add(split_tf32(a[i]), split_tf32(b[i]), three);
            one += tf32(a[i]) * tf32(b[i]);
        }
        worst_float = std::max(worst_float, std::abs(double(plain) - exact) / scale);
        worst_3x = std::max(worst_3x, std::abs(double(three) - exact) / scale);
        worst_1x = std::max(worst_1x, std::abs(double(one) - exact) / scale);
    }
    std::printf("  worst |error| / sum |a b| over %d dot products of %d: float %.3g, 3xTF32 %.3g, 1xTF32 %.3g\n", kRows,
                kLength, worst_float, worst_3x, worst_1x);
    // Float accuracy: no worse than plain float products (with room for the different rounding),
    // and far better than a single TF32 product.
    EXPECT_LE(worst_3x, 2.0 * worst_float);
    EXPECT_LE(worst_3x, 1e-6);
    EXPECT_GE(worst_1x, 20.0 * worst_3x);
}

}  // namespace
}  // namespace digitnet::kernels
