#pragma once
// 3xTF32: float accuracy from TF32 tensor cores (issue 12, idea 3; the warp product in
// common/tf32x3_mma.cuh, not used by a training kernel yet). A float x is split into a TF32 high
// part and a TF32 low part,
//   hi = tf32(x),  lo = tf32(x - hi)       (x - hi is exact in float: hi is x's nearest neighbour)
// so that |x - (hi + lo)| <= 2^-22 |x|. A product a b is then taken as three TF32 products,
//   a b ~ a.lo b.hi + a.hi b.lo + a.hi b.hi     (a.lo b.lo, ~2^-22 of a b, is dropped)
// each exact in float (11 x 11 significant bits fit float's 24), accumulated in float: the small
// terms first, so that they are not lost against the large one. An mma.sync.m16n8k8 .tf32 tile
// takes the parts' bit patterns (tf32_bits) as its A and B fragments and runs three MMAs into the
// same accumulators in that order. Plain C++ (__host__ __device__ under nvcc):
// tests/model/test_tf32_split.cpp checks on the host that the three products reach float accuracy.
//
// tf32() rounds to nearest with ties away from zero: on the host the 13 low mantissa bits are
// dropped after adding half of their weight (infinities and NaN pass through); on the device it is
// the instruction that does exactly this, cvt.rna.tf32.f32 (one instruction instead of five in the
// warp product's fragment loads), and the GPU test CudaTf32x3.SplitMatchesTheHostRoundingBitForBit
// checks the two agree bit for bit.
#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define DIGITNET_TF32_MATH __host__ __device__
#else
#define DIGITNET_TF32_MATH
#endif

namespace digitnet::kernels {

DIGITNET_TF32_MATH inline std::uint32_t float_bits(float x) {
#if defined(__CUDA_ARCH__)
    return __float_as_uint(x);
#else
    std::uint32_t bits = 0;
    std::memcpy(&bits, &x, sizeof bits);
    return bits;
#endif
}

DIGITNET_TF32_MATH inline float bits_float(std::uint32_t bits) {
#if defined(__CUDA_ARCH__)
    return __uint_as_float(bits);
#else
    float x = 0.0f;
    std::memcpy(&x, &bits, sizeof x);
    return x;
#endif
}

inline constexpr std::uint32_t kTf32DroppedBits = 13;  // float's 23 mantissa bits, TF32's 10
inline constexpr std::uint32_t kTf32Mask = ~((1u << kTf32DroppedBits) - 1u);

// The TF32 bit pattern nearest x (ties away from zero), as a float's bits: what an mma.sync .tf32
// fragment register holds.
DIGITNET_TF32_MATH inline std::uint32_t tf32_bits(float x) {
#if defined(__CUDA_ARCH__)
    std::uint32_t rounded;
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(rounded) : "f"(x));
    return rounded;
#else
    const std::uint32_t bits = float_bits(x);
    if ((bits & 0x7f800000u) == 0x7f800000u) return bits;  // inf, NaN: as they are
    return (bits + (1u << (kTf32DroppedBits - 1u))) & kTf32Mask;
#endif
}

DIGITNET_TF32_MATH inline float tf32(float x) { return bits_float(tf32_bits(x)); }

struct Tf32Split {
    float hi;
    float lo;
};

DIGITNET_TF32_MATH inline Tf32Split split_tf32(float x) {
    const float hi = tf32(x);
    return {hi, tf32(x - hi)};
}

// acc + a b by three TF32 products, small terms first (what three mma.sync calls into the same
// accumulator compute for one entry).
DIGITNET_TF32_MATH inline float tf32x3_multiply_add(Tf32Split a, Tf32Split b, float acc) {
    acc += a.lo * b.hi;
    acc += a.hi * b.lo;
    acc += a.hi * b.hi;
    return acc;
}

}  // namespace digitnet::kernels
