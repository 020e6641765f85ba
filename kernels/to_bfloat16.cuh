#pragma once
// The BF16 copies of the GEMM inputs in --precision bf16 (DESIGN.md, "Precisions"): FP32 values
// rounded to nearest, ties to even (as the CPU emulation rounds them, host/cpu/gemm_inputs.hpp).
#include <cuda_runtime_api.h>

#include <cstdint>

namespace digitnet::kernels {

// out[i] = the BF16 rounding of in[i] for `count` elements; out holds BF16 bit patterns (cuBLAS's
// CUDA_R_16BF), NaN stays NaN.
void to_bfloat16(int count, const float* in, std::uint16_t* out, cudaStream_t stream);

}  // namespace digitnet::kernels
