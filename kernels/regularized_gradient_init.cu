// Kernels and launcher for regularized_gradient_init.cuh.
#include "device_math.cuh"
#include "linear_kernel.cuh"
#include "regularized_gradient_init.cuh"

namespace digitnet::kernels {

// ---- kernels ----

// grad_l = (lambda/m) [0, Theta_l[:, 1:]] for all l at once (mask = 0 on bias columns, 1 elsewhere),
// and square_partials[blockIdx.x] = the block's share of sum over every Theta_l of its squared
// entries, bias column excluded (in double). One thread per parameter (count = all Thetas).
// A reduction: threads past the end contribute 0 instead of returning early.
template <class T>
__global__ void regularized_gradient_init_kernel(int count, const T* __restrict__ theta, const T* __restrict__ mask,
                                                 T lambda_over_m, T* __restrict__ grad,
                                                 double* __restrict__ square_partials) {
    const int i = linear_index();
    double square = 0.0;
    if (i < count) {
        const T regularized = mask[i] * theta[i];
        grad[i] = lambda_over_m * regularized;
        square = static_cast<double>(regularized) * static_cast<double>(regularized);
    }
    const double block_total = block_sum(square);
    if (threadIdx.x == 0) square_partials[blockIdx.x] = block_total;
}

// ---- launchers ----

template <class T>
void regularized_gradient_init(int count, const T* theta, const T* mask, T lambda_over_m, T* grad,
                               double* square_partials, cudaStream_t stream) {
    linear_kernel(regularized_gradient_init_kernel<T>, static_cast<std::size_t>(count), stream, theta, mask,
                  lambda_over_m, grad, square_partials);
}

template void regularized_gradient_init<float>(int, const float*, const float*, float, float*, double*, cudaStream_t);
template void regularized_gradient_init<double>(int, const double*, const double*, double, double*, double*,
                                                cudaStream_t);

}  // namespace digitnet::kernels
