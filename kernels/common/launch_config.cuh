#pragma once
// The launch shape every kernel in kernels/ uses: one thread per element, kThreadsPerBlock threads
// a block, linear_blocks(n) blocks. Plain C++ (no CUDA syntax): host code sizes the per-block
// partial-sum buffers of the reduction kernels with linear_blocks().
#include <cstddef>

namespace digitnet::kernels {

inline constexpr int kThreadsPerBlock = 256;

// The largest element count one launch takes: n + kThreadsPerBlock must still fit an int, so that
// the index blockIdx.x * blockDim.x + threadIdx.x never overflows.
inline constexpr int kMaxLinearElements = 0x7fffffff - kThreadsPerBlock;

// ceil(n / kThreadsPerBlock), the number of blocks a launch over n elements takes (0 for n == 0).
constexpr int linear_blocks(int n) { return n <= 0 ? 0 : (n + kThreadsPerBlock - 1) / kThreadsPerBlock; }

}  // namespace digitnet::kernels
