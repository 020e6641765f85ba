// Kernels and launcher for activation_gradient_delta.cuh.
#include "activation_gradient_delta.cuh"
#include "device_math.cuh"
#include "linear_kernel.cuh"

namespace digitnet::kernels {

// ---- kernels ----

// d_l = (d_(l+1) Theta_(l+1)[:, 1:]) .* f'(z_l), the derivative taken from the stored activation
// (activation_derivative<F>(a): a (1 - a) for the sigmoid, 1 - a^2 for tanh, [a > 0] for relu):
// d[r, c] *= f'(a[r, c+1]). One thread per element of d (count = m s_l); a's row r starts at
// r (s_l + 1), so a[r, c+1] sits at i + r + 1.
template <Activation F, class T>
__global__ void activation_gradient_delta_kernel(int count, int units, const T* __restrict__ a, T* __restrict__ d) {
    const int i = linear_index();
    if (i >= count) return;
    const int r = i / units;
    d[i] *= activation_derivative<F>(a[i + r + 1]);
}

// ---- launchers ----

template <class T>
void activation_gradient_delta(Activation f, int m, int units, const T* a, T* d, cudaStream_t stream) {
    with_activation(f, [&](auto F) {
        linear_kernel(activation_gradient_delta_kernel<decltype(F)::value, T>, static_cast<std::size_t>(m) * units,
                      stream, units, a, d);
    });
}

template void activation_gradient_delta<float>(Activation, int, int, const float*, float*, cudaStream_t);
template void activation_gradient_delta<double>(Activation, int, int, const double*, double*, cudaStream_t);

}  // namespace digitnet::kernels
