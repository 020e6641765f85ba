#pragma once
// The gradient-descent step: Theta -= alpha grad, over all Thetas at once.
#include <cuda_runtime_api.h>

namespace digitnet::kernels {

// theta and grad hold `count` entries, the flat parameter vector (layout.hpp).
template <class T>
void gradient_descent_update(int count, T alpha, const T* grad, T* theta, cudaStream_t stream);

}  // namespace digitnet::kernels
