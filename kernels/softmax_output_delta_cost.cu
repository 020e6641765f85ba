// Kernels and launcher for softmax_output_delta_cost.cuh.
#include <cmath>
#include <cstddef>

#include "device_math.cuh"
#include "linear_kernel.cuh"
#include "softmax_output_delta_cost.cuh"

namespace digitnet::kernels {

// ---- kernels ----

// For each example r, with its row z = z_L[r, :] and y its label (Y[r, :] one-hot):
//   z_max = max_k z_k,  log_sum = log sum_k exp(z_k - z_max)     (softmax_row, device_math.cuh)
//   h_k = exp(z_k - z_max) / sum_k exp(z_k - z_max),  d_L[r, k] = h_k - Y[r, k]
//   cost = -log h_y = z_max + log_sum - z_y                       (softmax_cost, activation.hpp)
// with z_y = sum_k Y[r, k] z_k (exact for a one-hot row). The costs are summed per block into
// cost_partials[blockIdx.x] in double. One thread per example (count = m), classes in increasing
// order: fixed-order sums, no atomics. A reduction: every thread reaches block_sum, so threads past
// the end contribute 0 instead of returning early.
template <class T>
__global__ void softmax_output_delta_cost_kernel(int count, int classes, const T* __restrict__ z,
                                                 const T* __restrict__ Y, T* __restrict__ d,
                                                 double* __restrict__ cost_partials) {
    using std::exp;
    using std::log;
    const int r = linear_index();
    double cost = 0.0;
    if (r < count) {
        const std::size_t row = static_cast<std::size_t>(r) * static_cast<std::size_t>(classes);
        const T* z_row = z + row;
        const T* y_row = Y + row;
        const SoftmaxRow<T> softmax = softmax_row(z_row, classes);
        T z_label = T(0);
        for (int k = 0; k < classes; ++k) {
            z_label += y_row[k] * z_row[k];
            d[row + k] = exp(z_row[k] - softmax.z_max) / softmax.sum - y_row[k];
        }
        cost = softmax_cost(static_cast<double>(z_label), static_cast<double>(softmax.z_max),
                            static_cast<double>(log(softmax.sum)));
    }
    const double block_total = block_sum(cost);
    if (threadIdx.x == 0) cost_partials[blockIdx.x] = block_total;
}

// ---- launchers ----

template <class T>
void softmax_output_delta_cost(int m, int classes, const T* z, const T* Y, T* d, double* cost_partials,
                               cudaStream_t stream) {
    linear_kernel(softmax_output_delta_cost_kernel<T>, static_cast<std::size_t>(m), stream, classes, z, Y, d,
                  cost_partials);
}

template void softmax_output_delta_cost<float>(int, int, const float*, const float*, float*, double*, cudaStream_t);
template void softmax_output_delta_cost<double>(int, int, const double*, const double*, double*, double*, cudaStream_t);

}  // namespace digitnet::kernels
