// Kernels and launcher for sigmoid_prepend_bias.cuh.
#include "device_math.cuh"
#include "linear_kernel.cuh"
#include "sigmoid_prepend_bias.cuh"

namespace digitnet::kernels {

// ---- kernels ----

// a_l = [1, sigmoid(z_l)]: a[r, 0] = 1, a[r, c] = sigmoid(z_l[r, c-1]) with z_l stored in a[r, c].
// One thread per element of a (count = m (s_l + 1)); the bias column is rewritten every time, so
// the buffer needs no separate initialisation.
template <class T>
__global__ void sigmoid_prepend_bias_kernel(int count, int cols, T* __restrict__ a) {
    const int i = linear_index();
    if (i >= count) return;
    const int r = i / cols;
    const int c = i - r * cols;
    a[i] = c == 0 ? T(1) : sigmoid(a[i]);
}

// ---- launchers ----

template <class T>
void sigmoid_prepend_bias(int m, int units, T* a, cudaStream_t stream) {
    linear_kernel(sigmoid_prepend_bias_kernel<T>, static_cast<std::size_t>(m) * (units + 1), stream, units + 1, a);
}

template void sigmoid_prepend_bias<float>(int, int, float*, cudaStream_t);
template void sigmoid_prepend_bias<double>(int, int, double*, cudaStream_t);

}  // namespace digitnet::kernels
