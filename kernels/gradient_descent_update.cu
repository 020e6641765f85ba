// Kernels and launcher for gradient_descent_update.cuh.
#include "gradient_descent_update.cuh"
#include "linear_kernel.cuh"

namespace digitnet::kernels {

// ---- kernels ----

// Theta_l -= alpha grad_l for every l: one thread per parameter of the flat vector.
template <class T>
__global__ void gradient_descent_update_kernel(int count, T alpha, const T* __restrict__ grad, T* __restrict__ theta) {
    const int i = linear_index();
    if (i >= count) return;
    theta[i] -= alpha * grad[i];
}

// ---- launchers ----

template <class T>
void gradient_descent_update(int count, T alpha, const T* grad, T* theta, cudaStream_t stream) {
    linear_kernel(gradient_descent_update_kernel<T>, static_cast<std::size_t>(count), stream, alpha, grad, theta);
}

template void gradient_descent_update<float>(int, float, const float*, float*, cudaStream_t);
template void gradient_descent_update<double>(int, double, const double*, double*, cudaStream_t);

}  // namespace digitnet::kernels
