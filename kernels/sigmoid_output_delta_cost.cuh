#pragma once
// Output layer with sigmoid outputs (the seed's): the error d_L = h - Y and the per-class
// cross-entropy cost terms, summed per block.
#include <cuda_runtime_api.h>

#include "launch_config.cuh"

namespace digitnet::kernels {

// z, Y and d are (m, K) row-major; d may alias neither. cost_partials receives one double per
// block, sigmoid_output_delta_cost_partials(m, K) of them: the block's sum of the per-example cost
// terms max(z,0) - y z + log1p(exp(-|z|)). regularized_cost() adds them up in a fixed order.
template <class T>
void sigmoid_output_delta_cost(int m, int classes, const T* z, const T* Y, T* d, double* cost_partials,
                               cudaStream_t stream);

// How many partial sums sigmoid_output_delta_cost writes for m examples and K classes.
constexpr int sigmoid_output_delta_cost_partials(int m, int classes) { return linear_blocks(m * classes); }

}  // namespace digitnet::kernels
