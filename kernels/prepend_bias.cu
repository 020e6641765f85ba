// Kernels and launcher for prepend_bias.cuh.
#include "linear_kernel.cuh"
#include "prepend_bias.cuh"

namespace digitnet::kernels {

// ---- kernels ----

// a0 = [1, x] for every example: A0[r, 0] = 1, A0[r, c] = X[r, c-1] for c = 1..n.
// One thread per element of A0 (count = m (n+1)); X[r, c-1] sits at r n + c - 1 = i - r - 1.
template <class T>
__global__ void prepend_bias_kernel(int count, int cols, const double* __restrict__ X, T* __restrict__ A0) {
    const int i = linear_index();
    if (i >= count) return;
    const int r = i / cols;
    const int c = i - r * cols;
    A0[i] = c == 0 ? T(1) : static_cast<T>(X[i - r - 1]);
}

// ---- launchers ----

template <class T>
void prepend_bias(int m, int n, const double* X, T* A0, cudaStream_t stream) {
    linear_kernel(prepend_bias_kernel<T>, static_cast<std::size_t>(m) * (n + 1), stream, n + 1, X, A0);
}

template void prepend_bias<float>(int, int, const double*, float*, cudaStream_t);
template void prepend_bias<double>(int, int, const double*, double*, cudaStream_t);

}  // namespace digitnet::kernels
