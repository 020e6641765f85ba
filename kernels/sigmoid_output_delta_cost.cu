// Kernels and launcher for sigmoid_output_delta_cost.cuh.
#include "device_math.cuh"
#include "linear_kernel.cuh"
#include "sigmoid_output_delta_cost.cuh"

namespace digitnet::kernels {

// ---- kernels ----

// h = sigmoid(z_L); d_L = h - Y; and the cost terms -y log h - (1-y) log(1-h), computed from z in
// the softplus form max(z,0) - y z + log1p(exp(-|z|)) (sigmoid_cost_term, activation.hpp), summed
// per block into cost_partials[blockIdx.x] (accumulated in double whatever T is).
// One thread per element of z_L (count = m K). A reduction: every thread reaches block_sum, so
// threads past the end contribute 0 instead of returning early.
template <class T>
__global__ void sigmoid_output_delta_cost_kernel(int count, const T* __restrict__ z, const T* __restrict__ Y,
                                                 T* __restrict__ d, double* __restrict__ cost_partials) {
    const int i = linear_index();
    double term = 0.0;
    if (i < count) {
        const T zi = z[i];
        const T yi = Y[i];
        d[i] = activate<Activation::Sigmoid>(zi) - yi;
        term = static_cast<double>(sigmoid_cost_term(zi, yi));
    }
    const double block_total = block_sum(term);
    if (threadIdx.x == 0) cost_partials[blockIdx.x] = block_total;
}

// ---- launchers ----

template <class T>
void sigmoid_output_delta_cost(int m, int classes, const T* z, const T* Y, T* d, double* cost_partials,
                               cudaStream_t stream) {
    linear_kernel(sigmoid_output_delta_cost_kernel<T>, static_cast<std::size_t>(m) * classes, stream, z, Y, d,
                  cost_partials);
}

template void sigmoid_output_delta_cost<float>(int, int, const float*, const float*, float*, double*, cudaStream_t);
template void sigmoid_output_delta_cost<double>(int, int, const double*, const double*, double*, double*, cudaStream_t);

}  // namespace digitnet::kernels
