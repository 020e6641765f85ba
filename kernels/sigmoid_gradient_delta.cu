// Kernels and launcher for sigmoid_gradient_delta.cuh.
#include "linear_kernel.cuh"
#include "sigmoid_gradient_delta.cuh"

namespace digitnet::kernels {

// ---- kernels ----

// d_l = (d_(l+1) Theta_(l+1)[:, 1:]) .* a_l (1 - a_l), the sigmoid's derivative taken from the
// stored activation: d[r, c] *= a[r, c+1] (1 - a[r, c+1]). One thread per element of d
// (count = m s_l); a's row r starts at r (s_l + 1), so a[r, c+1] sits at i + r + 1.
template <class T>
__global__ void sigmoid_gradient_delta_kernel(int count, int units, const T* __restrict__ a, T* __restrict__ d) {
    const int i = linear_index();
    if (i >= count) return;
    const int r = i / units;
    const T ai = a[i + r + 1];
    d[i] *= ai * (T(1) - ai);
}

// ---- launchers ----

template <class T>
void sigmoid_gradient_delta(int m, int units, const T* a, T* d, cudaStream_t stream) {
    linear_kernel(sigmoid_gradient_delta_kernel<T>, static_cast<std::size_t>(m) * units, stream, units, a, d);
}

template void sigmoid_gradient_delta<float>(int, int, const float*, float*, cudaStream_t);
template void sigmoid_gradient_delta<double>(int, int, const double*, double*, cudaStream_t);

}  // namespace digitnet::kernels
