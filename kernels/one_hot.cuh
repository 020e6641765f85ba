#pragma once
// Upload step: the labels as the one-hot matrix Y.
#include <cuda_runtime_api.h>

namespace digitnet::kernels {

// labels holds m class indices 0..K-1; Y is (m, K) row-major, Y[r, k] = 1 when labels[r] == k.
template <class T>
void one_hot(int m, int classes, const int* labels, T* Y, cudaStream_t stream);

}  // namespace digitnet::kernels
