#pragma once
// Back-propagation through a hidden layer: d_l = (d_(l+1) Theta_(l+1)[:, 1:]) .* f'(z_l), with f'
// taken from the stored activation a_l = f(z_l).
#include <cuda_runtime_api.h>

#include "digitnet/model/activation.hpp"

namespace digitnet::kernels {

// d is (m, units) row-major and holds d_(l+1) Theta_(l+1)[:, 1:] on entry (the delta GEMM writes
// it); a is the stored activation a_l, (m, units+1) row-major, bias in column 0. On return d = d_l.
template <class T>
void activation_gradient_delta(Activation f, int m, int units, const T* a, T* d, cudaStream_t stream);

}  // namespace digitnet::kernels
