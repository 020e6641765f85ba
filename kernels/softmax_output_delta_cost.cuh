#pragma once
// Output layer with a softmax output: the error d_L = h - Y and the multinomial cross-entropy
// -log h_y of each example, summed per block.
#include <cuda_runtime_api.h>

#include "launch_config.cuh"

namespace digitnet::kernels {

// z, Y and d are (m, K) row-major, Y one-hot; d may alias neither. cost_partials receives one
// double per block, softmax_output_delta_cost_partials(m) of them: the block's sum of the examples'
// -log h_y. regularized_cost() adds them up in a fixed order.
template <class T>
void softmax_output_delta_cost(int m, int classes, const T* z, const T* Y, T* d, double* cost_partials,
                               cudaStream_t stream);

// How many partial sums softmax_output_delta_cost writes for m examples (one thread per example).
constexpr int softmax_output_delta_cost_partials(int m) { return linear_blocks(m); }

}  // namespace digitnet::kernels
