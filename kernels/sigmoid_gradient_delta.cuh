#pragma once
// Back-propagation through a hidden layer: d_l = (d_(l+1) Theta_(l+1)[:, 1:]) .* a_l (1 - a_l).
#include <cuda_runtime_api.h>

namespace digitnet::kernels {

// d is (m, units) row-major and holds d_(l+1) Theta_(l+1)[:, 1:] on entry (the delta GEMM writes
// it); a is the stored activation a_l, (m, units+1) row-major, bias in column 0. On return d = d_l.
template <class T>
void sigmoid_gradient_delta(int m, int units, const T* a, T* d, cudaStream_t stream);

}  // namespace digitnet::kernels
