// Kernels and launchers for minibatch_update.cuh: update_rules.hpp per parameter. nvcc contracts
// a * b + c into FMAs by default, so a float step here may differ from the CPU's (compiled without
// contraction) by a rounding per operation: the GPU loop is compared with the CPU within float's
// tolerance, not to the bit.
#include "linear_kernel.cuh"
#include "minibatch_update.cuh"

namespace digitnet::kernels {

// ---- kernels ----

template <class T>
__global__ void adam_update_kernel(int count, const T* __restrict__ grad, T* __restrict__ theta, T* __restrict__ first,
                                   T* __restrict__ second, AdamCoefficients<T> c) {
    const int i = linear_index();
    if (i >= count) return;
    adam_update(theta[i], first[i], second[i], grad[i], c);
}

template <class T>
__global__ void sgd_update_kernel(int count, const T* __restrict__ grad, T* __restrict__ theta, T* __restrict__ buffer,
                                  SgdCoefficients<T> c) {
    const int i = linear_index();
    if (i >= count) return;
    sgd_update(theta[i], buffer[i], grad[i], c);
}

// ---- launchers ----

template <class T>
void adam_update(int count, const T* grad, T* theta, T* first, T* second, AdamCoefficients<T> c, cudaStream_t stream) {
    linear_kernel(adam_update_kernel<T>, static_cast<std::size_t>(count), stream, grad, theta, first, second, c);
}

template <class T>
void sgd_update(int count, const T* grad, T* theta, T* buffer, SgdCoefficients<T> c, cudaStream_t stream) {
    linear_kernel(sgd_update_kernel<T>, static_cast<std::size_t>(count), stream, grad, theta, buffer, c);
}

template void adam_update<float>(int, const float*, float*, float*, float*, AdamCoefficients<float>, cudaStream_t);
template void adam_update<double>(int, const double*, double*, double*, double*, AdamCoefficients<double>,
                                  cudaStream_t);
template void sgd_update<float>(int, const float*, float*, float*, SgdCoefficients<float>, cudaStream_t);
template void sgd_update<double>(int, const double*, double*, double*, SgdCoefficients<double>, cudaStream_t);

}  // namespace digitnet::kernels
