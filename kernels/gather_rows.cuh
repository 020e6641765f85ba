#pragma once
// Mini-batch step: the chosen rows of a row-major matrix (A0 or Y of the training set), copied into
// a batch matrix on the device.
#include <cuda_runtime_api.h>

namespace digitnet::kernels {

// dst (count x cols) row-major, dst[i, j] = src[rows[i], j] for i = 0..count-1, j = 0..cols-1;
// src is row-major with `cols` columns and rows[i] indexes its rows (checked by the caller: the
// kernel trusts them). Rows may repeat; dst may not alias src.
template <class T>
void gather_rows(int count, int cols, const int* rows, const T* src, T* dst, cudaStream_t stream);

}  // namespace digitnet::kernels
