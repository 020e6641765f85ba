#pragma once
// End of the forward pass: the full-batch regularised cost J, written into the cost history.
#include <cuda_runtime_api.h>

namespace digitnet::kernels {

// J = (1/m) sum(cost_partials) + lambda/(2m) sum(square_partials), the partials written by the
// output kernel ({sigmoid,softmax}_output_delta_cost, or the fused kernel) and by
// regularized_gradient_init. Writes history[*iteration] = J and then increments *iteration, so
// one captured CUDA graph fills history[0], history[1], ... on replay.
// One block; the partials are added in a fixed order (deterministic, no atomics).
void regularized_cost(const double* cost_partials, int cost_count, const double* square_partials, int square_count,
                      double inverse_m, double half_lambda_over_m, double* history, int* iteration,
                      cudaStream_t stream);

}  // namespace digitnet::kernels
