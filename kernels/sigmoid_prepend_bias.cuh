#pragma once
// Forward step of a hidden layer: a_l = [1, sigmoid(z_l)], in place.
#include <cuda_runtime_api.h>

namespace digitnet::kernels {

// a is (m, units+1) row-major. On entry a[:, 1:] holds z_l (the forward GEMM writes it there, with
// leading dimension units+1) and a[:, 0] anything; on return a = [1, sigmoid(z_l)].
template <class T>
void sigmoid_prepend_bias(int m, int units, T* a, cudaStream_t stream);

}  // namespace digitnet::kernels
