#pragma once
// Forward step of a hidden layer: a_l = [1, f(z_l)], in place, f the layout's hidden activation.
#include <cuda_runtime_api.h>

#include "digitnet/model/activation.hpp"

namespace digitnet::kernels {

// a is (m, units+1) row-major. On entry a[:, 1:] holds z_l (the forward GEMM writes it there, with
// leading dimension units+1) and a[:, 0] anything; on return a = [1, f(z_l)].
template <class T>
void activation_prepend_bias(Activation f, int m, int units, T* a, cudaStream_t stream);

}  // namespace digitnet::kernels
