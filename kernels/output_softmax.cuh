#pragma once
// Output layer for prediction with a softmax output: h = softmax(z_L), row by row.
#include <cuda_runtime_api.h>

namespace digitnet::kernels {

// z and h are (m, K) row-major; h may be z (in place).
template <class T>
void output_softmax(int m, int classes, const T* z, T* h, cudaStream_t stream);

}  // namespace digitnet::kernels
