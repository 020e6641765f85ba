#pragma once
// Output layer for prediction: h = sigmoid(z_L).
#include <cuda_runtime_api.h>

namespace digitnet::kernels {

// z and h hold `count` elements (m K); h may be z (in place).
template <class T>
void output_sigmoid(int count, const T* z, T* h, cudaStream_t stream);

}  // namespace digitnet::kernels
