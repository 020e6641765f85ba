#pragma once
// The one launch helper (tiny-cuda-nn's linear_kernel): every launcher in kernels/ goes through it.
// CUDA-only: included by the .cu files, never by host .cpp files (they include the launcher headers).
#ifndef __CUDACC__
#error "linear_kernel.cuh holds CUDA code: include the launcher headers (*.cuh without kernels) instead"
#endif

#include <cuda_runtime_api.h>

#include <cstddef>
#include <string>

#include "cuda_check.hpp"
#include "launch_config.cuh"

namespace digitnet::kernels {

// The global thread index of a linear launch. Fits an int: linear_kernel refuses n > kMaxLinearElements.
__device__ __forceinline__ int linear_index() { return static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x); }

// Launches kernel(n, args...) over n elements on `stream` with linear_blocks(n) blocks of
// kThreadsPerBlock threads, and checks the launch. Returns at once when n == 0 (a zero-sized grid
// is an error in CUDA). Launches are legal inside stream capture, so this is also how kernels get
// into the training step's CUDA graph.
template <class... KernelArgs, class... Args>
void linear_kernel(void (*kernel)(int, KernelArgs...), std::size_t n, cudaStream_t stream, Args&&... args) {
    if (n == 0) return;
    if (n > static_cast<std::size_t>(kMaxLinearElements))
        throw DeviceError("kernel launch over " + std::to_string(n) + " elements: more than one launch takes (" +
                          std::to_string(kMaxLinearElements) + ")");
    const int count = static_cast<int>(n);
    kernel<<<linear_blocks(count), kThreadsPerBlock, 0, stream>>>(count, std::forward<Args>(args)...);
    CUDA_CHECK(cudaGetLastError());
}

}  // namespace digitnet::kernels
