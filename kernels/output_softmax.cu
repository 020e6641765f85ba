// Kernels and launcher for output_softmax.cuh.
#include <cmath>
#include <cstddef>

#include "device_math.cuh"
#include "linear_kernel.cuh"
#include "output_softmax.cuh"

namespace digitnet::kernels {

// ---- kernels ----

// h[r, k] = exp(z[r, k] - z_max) / sum_j exp(z[r, j] - z_max), z_max = max_j z[r, j]
// (softmax_row, device_math.cuh): the probabilities of example r, each in [0, 1], never NaN for
// finite z. One thread per example (count = m), classes in increasing order. No __restrict__: h
// may alias z (each z[r, k] is read before h[r, k] is written, by the same thread).
template <class T>
__global__ void output_softmax_kernel(int count, int classes, const T* z, T* h) {
    using std::exp;
    const int r = linear_index();
    if (r >= count) return;
    const std::size_t row = static_cast<std::size_t>(r) * static_cast<std::size_t>(classes);
    const SoftmaxRow<T> softmax = softmax_row(z + row, classes);
    for (int k = 0; k < classes; ++k) h[row + k] = exp(z[row + k] - softmax.z_max) / softmax.sum;
}

// ---- launchers ----

template <class T>
void output_softmax(int m, int classes, const T* z, T* h, cudaStream_t stream) {
    linear_kernel(output_softmax_kernel<T>, static_cast<std::size_t>(m), stream, classes, z, h);
}

template void output_softmax<float>(int, int, const float*, float*, cudaStream_t);
template void output_softmax<double>(int, int, const double*, double*, cudaStream_t);

}  // namespace digitnet::kernels
