// Kernel and launcher for to_bfloat16.cuh.
#include <cuda_bf16.h>

#include "linear_kernel.cuh"
#include "to_bfloat16.cuh"

namespace digitnet::kernels {

// ---- kernels ----

// One thread per element: __float2bfloat16_rn rounds to nearest even.
__global__ void to_bfloat16_kernel(int count, const float* __restrict__ in, std::uint16_t* __restrict__ out) {
    const int i = linear_index();
    if (i >= count) return;
    out[i] = __bfloat16_as_ushort(__float2bfloat16_rn(in[i]));
}

// ---- launchers ----

void to_bfloat16(int count, const float* in, std::uint16_t* out, cudaStream_t stream) {
    linear_kernel(to_bfloat16_kernel, static_cast<std::size_t>(count), stream, in, out);
}

}  // namespace digitnet::kernels
