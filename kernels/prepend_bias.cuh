#pragma once
// Upload step: A0 = [1, X], the input layer with its bias unit.
#include <cuda_runtime_api.h>

namespace digitnet::kernels {

// X is (m, n) row-major double, as uploaded from the host; A0 is (m, n+1) row-major in T.
template <class T>
void prepend_bias(int m, int n, const double* X, T* A0, cudaStream_t stream);

}  // namespace digitnet::kernels
