#pragma once
// Device-side helpers shared by the kernels: the deterministic block sum and a softmax row's
// maximum and sum. The activations, their
// derivatives and the output costs are in include/digitnet/model/activation.hpp (written once for
// the reference, the CPU loops and the kernels). CUDA-only.
#ifndef __CUDACC__
#error "device_math.cuh holds CUDA code"
#endif

#include <cub/block/block_reduce.cuh>

#include "digitnet/model/activation.hpp"
#include "launch_config.cuh"

namespace digitnet::kernels {

// Sum of `value` over the kThreadsPerBlock threads of this block, valid in thread 0. Every thread
// of the block must call it (no early return before it). cub::BlockReduce combines in a fixed
// pattern (warp shuffles, then the warps in order) with no atomics: the same inputs give the same
// bits on every run.
__device__ __forceinline__ double block_sum(double value) {
    using BlockReduce = cub::BlockReduce<double, kThreadsPerBlock>;
    __shared__ typename BlockReduce::TempStorage storage;
    return BlockReduce(storage).Sum(value);
}

// One softmax row z[0..K-1]: z_max = max_k z_k and sum = sum_k exp(z_k - z_max), k in increasing
// order (the same bits on every run). Shifting by z_max keeps every exp in (0, 1], so nothing
// overflows, and sum >= 1 (the largest term is exp(0)), so log(sum) is finite.
template <class T>
struct SoftmaxRow {
    T z_max;
    T sum;
};
template <class T>
__device__ __forceinline__ SoftmaxRow<T> softmax_row(const T* z, int classes) {
    using std::exp;
    T z_max = z[0];
    for (int k = 1; k < classes; ++k) z_max = z[k] > z_max ? z[k] : z_max;
    T sum = T(0);
    for (int k = 0; k < classes; ++k) sum += exp(z[k] - z_max);
    return {z_max, sum};
}

}  // namespace digitnet::kernels
