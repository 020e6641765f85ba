#pragma once
// The mixed precisions on the CPU (DESIGN.md, "Precisions"): what a tensor core computes, emulated.
//
// A TF32 or BF16 tensor-core GEMM reads its inputs at reduced precision and accumulates in FP32.
// The CPU backend gets the same numbers by rounding each GEMM input (weights, activations, deltas)
// to the nearest TF32 or BF16 value, stored in a float, and running an ordinary FP32 sgemm: the
// products of such values are exact in FP32, so only the accumulation order differs from the GPU.
// Where the CPU has AVX512-BF16 and the linked OpenBLAS exports cblas_sbgemm, the BF16 GEMMs run
// on it instead (the same values, the CPU's BF16 dot-product instructions).
//
// Rounding is to nearest, ties to even, on the bit pattern: keep the top 10 (TF32) or 7 (BF16)
// mantissa bits. That is how cuDNN, CUTLASS's round_to_nearest and PyTorch's .to(bfloat16) round;
// a cuBLAS TF32 kernel may instead read only the top 10 mantissa bits of an FP32 input
// (truncation), at most one TF32 unit in the last place apart, which the GPU-against-emulation
// tolerance (tests/tolerances.hpp) covers. Infinities stay infinite, NaN stays NaN, values that
// round past the largest finite number become infinite (IEEE round-to-nearest).
#include <cblas.h>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>

#include "digitnet/model/backend.hpp"

namespace digitnet::cpu {

enum class GemmInputs { Exact, Tf32, Bf16 };

// Exact for float and double, else the mixed precision's rounding.
GemmInputs gemm_inputs_for(Precision precision);

// Keeps the top `kept` of the 23 mantissa bits of x, rounding to nearest, ties to even.
template <int kept>
inline float round_mantissa(float x) {
    constexpr int dropped = 23 - kept;
    constexpr std::uint32_t half = (std::uint32_t{1} << (dropped - 1)) - 1;  // just under half a unit
    constexpr std::uint32_t mask = ~((std::uint32_t{1} << dropped) - 1);
    std::uint32_t bits = std::bit_cast<std::uint32_t>(x);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return x;  // NaN: as is (the GEMM propagates it)
    bits += half + ((bits >> dropped) & 1u);           // carries into the exponent when it must
    return std::bit_cast<float>(bits & mask);
}
inline float round_to_tf32(float x) { return round_mantissa<10>(x); }
inline float round_to_bf16(float x) { return round_mantissa<7>(x); }

inline float round_gemm_input(GemmInputs mode, float x) {
    return mode == GemmInputs::Tf32 ? round_to_tf32(x) : mode == GemmInputs::Bf16 ? round_to_bf16(x) : x;
}

// to[j] = round_gemm_input(mode, from[j]) for n values; from == to rounds in place.
void copy_rounded(GemmInputs mode, const float* from, float* to, std::size_t n);

// Whether BF16 GEMMs run on cblas_sbgemm here: the CPU has AVX512-BF16 and the OpenBLAS linked at
// run time exports it (Debian's 0.3.21 is built without it). Decided once.
bool native_bf16_gemm();

// C = alpha op(A) op(B) + beta C, row-major, FP32 accumulation, where A and B hold values already
// rounded for mode (so the result is exactly the reduced-precision product): sgemm, or
// cblas_sbgemm for Bf16 where native_bf16_gemm() (A and B then converted to bfloat16 storage,
// exactly, on the calling thread).
void gemm_rounded(GemmInputs mode, CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, int M, int N, int K, float alpha,
                  const float* A, int lda, const float* B, int ldb, float beta, float* C, int ldc);

// For device_name(): how this precision's GEMMs run, e.g. "bf16 GEMM inputs, FP32 sgemm (emulated)".
std::string describe_gemm_inputs(GemmInputs mode);

}  // namespace digitnet::cpu
