#pragma once
// Device-side math shared by the kernels: the sigmoid, the softplus form of the output cost term,
// and the deterministic block sum. CUDA-only.
#ifndef __CUDACC__
#error "device_math.cuh holds CUDA code"
#endif

#include <cub/block/block_reduce.cuh>

#include "launch_config.cuh"

namespace digitnet::kernels {

// sigmoid(z) = 1 / (1 + exp(-z)). exp overflows to inf for z < -88 (float) / -709 (double), and
// 1 / inf is 0: the limit, never NaN.
__device__ __forceinline__ float sigmoid(float z) { return 1.0f / (1.0f + expf(-z)); }
__device__ __forceinline__ double sigmoid(double z) { return 1.0 / (1.0 + exp(-z)); }

// One output unit's cost term from z (DESIGN.md, softplus form):
// -y log h - (1-y) log(1-h), h = sigmoid(z), equals max(z,0) - y z + log1p(exp(-|z|)).
// Finite for every finite z, however saturated the output.
__device__ __forceinline__ float output_cost_term(float z, float y) {
    return fmaxf(z, 0.0f) - y * z + log1pf(expf(-fabsf(z)));
}
__device__ __forceinline__ double output_cost_term(double z, double y) {
    return fmax(z, 0.0) - y * z + log1p(exp(-fabs(z)));
}

// Sum of `value` over the kThreadsPerBlock threads of this block, valid in thread 0. Every thread
// of the block must call it (no early return before it). cub::BlockReduce combines in a fixed
// pattern (warp shuffles, then the warps in order) with no atomics: the same inputs give the same
// bits on every run.
__device__ __forceinline__ double block_sum(double value) {
    using BlockReduce = cub::BlockReduce<double, kThreadsPerBlock>;
    __shared__ typename BlockReduce::TempStorage storage;
    return BlockReduce(storage).Sum(value);
}

}  // namespace digitnet::kernels
