// Kernels and launcher for regularized_cost.cuh.
#include "device_math.cuh"
#include "linear_kernel.cuh"
#include "regularized_cost.cuh"

namespace digitnet::kernels {

// ---- kernels ----

// J = (1/m) sum_i sum_k [-Y log h - (1-Y) log(1-h)] + lambda/(2m) sum_l sum Theta_l[:, 1:]^2,
// from the per-block partial sums of both parts. Launched as ONE block of `threads` =
// kThreadsPerBlock threads: thread t adds partials t, t + threads, t + 2 threads, ... in that
// order, then block_sum combines the threads in a fixed pattern, so J has the same bits on every
// run. Thread 0 writes history[*iteration] = J and advances the iteration counter.
__global__ void regularized_cost_kernel(int threads, const double* __restrict__ cost_partials, int cost_count,
                                        const double* __restrict__ square_partials, int square_count, double inverse_m,
                                        double half_lambda_over_m, double* __restrict__ history,
                                        int* __restrict__ iteration) {
    const int t = linear_index();
    double cost = 0.0;
    double square = 0.0;
    if (t < threads) {
        for (int j = t; j < cost_count; j += threads) cost += cost_partials[j];
        for (int j = t; j < square_count; j += threads) square += square_partials[j];
    }
    const double cost_total = block_sum(cost);
    __syncthreads();  // block_sum's shared storage is reused by the second sum
    const double square_total = block_sum(square);
    if (threadIdx.x == 0) {
        const int it = *iteration;
        history[it] = inverse_m * cost_total + half_lambda_over_m * square_total;
        *iteration = it + 1;
    }
}

// ---- launchers ----

void regularized_cost(const double* cost_partials, int cost_count, const double* square_partials, int square_count,
                      double inverse_m, double half_lambda_over_m, double* history, int* iteration,
                      cudaStream_t stream) {
    // n = kThreadsPerBlock: exactly one block, whose threads stride over the partials.
    linear_kernel(regularized_cost_kernel, static_cast<std::size_t>(kThreadsPerBlock), stream, cost_partials,
                  cost_count, square_partials, square_count, inverse_m, half_lambda_over_m, history, iteration);
}

}  // namespace digitnet::kernels
