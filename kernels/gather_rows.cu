// Kernels and launcher for gather_rows.cuh.
#include <cstddef>

#include "gather_rows.cuh"
#include "linear_kernel.cuh"

namespace digitnet::kernels {

// ---- kernels ----

// dst[i, j] = src[rows[i], j]: one thread per element of dst (n = count * cols), so consecutive
// threads copy consecutive columns of a row (coalesced reads of the source row, coalesced writes).
// The source offset is taken in size_t: rows[i] * cols may exceed an int for a large training set.
template <class T>
__global__ void gather_rows_kernel(int n, int cols, const int* __restrict__ rows, const T* __restrict__ src,
                                   T* __restrict__ dst) {
    const int i = linear_index();
    if (i >= n) return;
    const int r = i / cols;
    const int c = i - r * cols;
    dst[i] = src[static_cast<std::size_t>(rows[r]) * static_cast<std::size_t>(cols) + static_cast<std::size_t>(c)];
}

// ---- launchers ----

template <class T>
void gather_rows(int count, int cols, const int* rows, const T* src, T* dst, cudaStream_t stream) {
    linear_kernel(gather_rows_kernel<T>, static_cast<std::size_t>(count) * static_cast<std::size_t>(cols), stream, cols,
                  rows, src, dst);
}

template void gather_rows<float>(int, int, const int*, const float*, float*, cudaStream_t);
template void gather_rows<double>(int, int, const int*, const double*, double*, cudaStream_t);

}  // namespace digitnet::kernels
