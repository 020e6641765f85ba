#pragma once
// Output layer: the error d_L = h - Y and the cost terms, summed per block.
#include <cuda_runtime_api.h>

#include "launch_config.cuh"

namespace digitnet::kernels {

// z, Y and d are (m, K) row-major; d may alias neither. cost_partials receives one double per
// block, output_delta_cost_partials(m, K) of them: the block's sum of the per-example cost terms
// max(z,0) - y z + log1p(exp(-|z|)). regularized_cost() adds them up in a fixed order.
template <class T>
void output_delta_cost(int m, int classes, const T* z, const T* Y, T* d, double* cost_partials,
                       cudaStream_t stream);

// How many partial sums output_delta_cost writes for m examples and K classes.
constexpr int output_delta_cost_partials(int m, int classes) { return linear_blocks(m * classes); }

}  // namespace digitnet::kernels
