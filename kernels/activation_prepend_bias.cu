// Kernels and launcher for activation_prepend_bias.cuh.
#include "activation_prepend_bias.cuh"
#include "device_math.cuh"
#include "linear_kernel.cuh"

namespace digitnet::kernels {

// ---- kernels ----

// a_l = [1, f(z_l)]: a[r, 0] = 1, a[r, c] = f(z_l[r, c-1]) with z_l stored in a[r, c], f = activate<F>
// (activation.hpp). One thread per element of a (count = m (s_l + 1)); the bias column is rewritten
// every time, so the buffer needs no separate initialisation.
template <Activation F, class T>
__global__ void activation_prepend_bias_kernel(int count, int cols, T* __restrict__ a) {
    const int i = linear_index();
    if (i >= count) return;
    const int r = i / cols;
    const int c = i - r * cols;
    a[i] = c == 0 ? T(1) : activate<F>(a[i]);
}

// ---- launchers ----

template <class T>
void activation_prepend_bias(Activation f, int m, int units, T* a, cudaStream_t stream) {
    with_activation(f, [&](auto F) {
        linear_kernel(activation_prepend_bias_kernel<decltype(F)::value, T>, static_cast<std::size_t>(m) * (units + 1),
                      stream, units + 1, a);
    });
}

template void activation_prepend_bias<float>(Activation, int, int, float*, cudaStream_t);
template void activation_prepend_bias<double>(Activation, int, int, double*, cudaStream_t);

}  // namespace digitnet::kernels
