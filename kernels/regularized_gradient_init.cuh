#pragma once
// Start of back-propagation: the regularisation part of every gradient, and of the cost.
#include <cuda_runtime_api.h>

#include "launch_config.cuh"

namespace digitnet::kernels {

// Over the flat parameter vector (all Thetas packed, layout.hpp), `count` entries:
//   grad = (lambda/m) mask .* theta, i.e. grad_l = (lambda/m) [0, Theta_l[:, 1:]] for every l,
// where mask is 1 everywhere except 0 on each Theta's bias column; the gradient GEMMs then add
// (1/m) d_l^T a_(l-1) with beta = 1. square_partials receives regularized_gradient_init_partials(count)
// doubles, the per-block sums of (mask .* theta)^2.
template <class T>
void regularized_gradient_init(int count, const T* theta, const T* mask, T lambda_over_m, T* grad,
                               double* square_partials, cudaStream_t stream);

constexpr int regularized_gradient_init_partials(int count) { return linear_blocks(count); }

}  // namespace digitnet::kernels
