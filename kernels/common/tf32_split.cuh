#pragma once
// A float as the sum of two TF32 numbers, x ~ hi + lo, for products on tensor cores with float
// accuracy (3xTF32, tf32x3_mma.cuh). TF32 keeps float's sign, its 8-bit exponent and the top 10 of
// its 23 fraction bits (11 significant bits); a TF32 number is stored as the float with the other
// 13 bits zero.
//   hi = tf32(x)          round to nearest, ties away from zero (cvt.rna.tf32.f32, the one TF32
//                         rounding sm_80 and sm_90 have)
//   lo = tf32(x - hi)     x - hi is exact in float (Sterbenz: hi is within a factor 2 of x)
// hi carries x's top 11 significant bits and lo the next 11, so hi + lo misses x by at most
// 2^-22 |x| (x has 24). In a product, a b ~ a_hi b_hi + a_hi b_lo + a_lo b_hi: the dropped
// a_lo b_lo is below 2^-22 |a b|, and each of the three products of 11-bit numbers is exact in
// float, so only the accumulation rounds, as in an FP32 FMA loop.
//
// Host and device: on the device the rounding is the cvt instruction itself; on the host it is
// the same rounding in integer arithmetic, which the GPU test checks bit for bit against cvt.
#include <cstdint>
#include <cstring>

#include "mma_fragment_layout.cuh"  // DIGITNET_HOST_DEVICE

namespace digitnet::kernels::mma {

inline constexpr int kTf32DroppedBits = 13;  // of float's 23 fraction bits

DIGITNET_HOST_DEVICE inline std::uint32_t float_to_bits(float x) {
#if defined(__CUDA_ARCH__)
    return __float_as_uint(x);
#else
    std::uint32_t bits = 0;
    std::memcpy(&bits, &x, sizeof bits);
    return bits;
#endif
}

DIGITNET_HOST_DEVICE inline float bits_to_float(std::uint32_t bits) {
#if defined(__CUDA_ARCH__)
    return __uint_as_float(bits);
#else
    float x = 0.0f;
    std::memcpy(&x, &bits, sizeof x);
    return x;
#endif
}

// x rounded to TF32 (as float bits, the low 13 zero). Finite x only: the rounding below could turn
// a NaN with a small payload into infinity, and the products never see either.
DIGITNET_HOST_DEVICE inline std::uint32_t round_to_tf32(float x) {
#if defined(__CUDA_ARCH__)
    std::uint32_t bits;
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(bits) : "f"(x));
    return bits;
#else
    // Sign and magnitude: adding half of the dropped range to the magnitude, then clearing the
    // dropped bits, rounds the magnitude to nearest with ties away from zero. A carry into the
    // exponent is the right answer (up to the next power of two, or to infinity past the largest).
    constexpr std::uint32_t half = 1u << (kTf32DroppedBits - 1);
    constexpr std::uint32_t dropped = (1u << kTf32DroppedBits) - 1;
    return (float_to_bits(x) + half) & ~dropped;
#endif
}

struct Tf32Split {
    std::uint32_t hi, lo;  // TF32 numbers, as float bits: the registers an mma takes
};

DIGITNET_HOST_DEVICE inline Tf32Split split_tf32(float x) {
    const std::uint32_t hi = round_to_tf32(x);
    return {hi, round_to_tf32(x - bits_to_float(hi))};
}

}  // namespace digitnet::kernels::mma
