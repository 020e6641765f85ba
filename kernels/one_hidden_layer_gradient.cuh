#pragma once
// The whole cost-and-gradient pass of a network with one small hidden layer (the seed's
// 400-25-10) in one kernel, plus the kernel that sums its per-block gradients and takes the step.
// Sigmoid hidden units and sigmoid outputs only (the seed's); host/cuda/fused_pass.cpp says which
// layouts it takes, and every other one goes through the general path.
//
// Why: on the seed's shapes every cuBLAS GEMM is thin (25 or 10 columns) and the per-iteration
// chain of 9 dependent launches costs far more than the 208 MFLOP it computes. Here each block
// takes 32 examples at a time through forward propagation, the output delta and cost terms, the
// hidden delta and both gradient products, and writes its share of the gradient; a second kernel
// adds the shares in a fixed order. Two launches on the critical path instead of nine.
#include <cuda_runtime_api.h>

#include <cstddef>

#include "one_hidden_layer_indexing.hpp"

namespace digitnet::kernels {

// How the fused pass runs on the current device for one network shape (0 blocks: it cannot run,
// the caller keeps the cuBLAS path). Computed once per backend: it queries the device.
struct OneHiddenLayerPlan {
    int inputs = 0;                // n = s0 + 1, with the bias unit
    int hidden = 0;                // H = s1 (at most kOneHiddenLayerMaxHidden)
    int classes = 0;               // K = s2 (at most kOneHiddenLayerMaxClasses)
    int hidden_padded = 0;         // H rounded up to a multiple of 4: the register tile width
    std::size_t shared_bytes = 0;  // dynamic shared memory of one block
    int resident_blocks = 0;       // blocks the device holds at once (blocks per SM x SMs); 0 = unusable
    // Examples a tile holds: m shared evenly by all the blocks the device holds at once, at most
    // 32 (one per lane), so that every SM gets the same work (5000 examples on an H100's 264
    // resident blocks: tiles of 19). kernels::tile_rows (one_hidden_layer_indexing.hpp).
    int tile_rows(int m) const;
    // Blocks a pass over m examples launches: one per tile, at most resident_blocks (each block
    // then takes tiles blockIdx.x, blockIdx.x + blocks, ...). Fixed by m and the device, so the
    // order of every sum, and the result, is the same on every run.
    int blocks(int m) const;
    bool usable() const { return resident_blocks > 0; }
};

template <class T>
OneHiddenLayerPlan plan_one_hidden_layer(int inputs, int hidden, int classes);

// For m examples, a0 = [1, X] (m, n) row-major, Y one-hot (m, K), theta the flat parameters
// (Theta1 (H, n) then Theta2 (K, H+1), row-major): block b writes
//   partials[b P + p]   its share of sum over its examples of d^T a for flat parameter p
//                       (P = H n + K (H+1): grad1 = d1^T a0 first, then grad2 = d2^T a1)
//   cost_partials[b]    its share of sum over its examples of the output cost terms (double)
// for b < plan.blocks(m). partials needs plan.resident_blocks * P entries.
template <class T>
void one_hidden_layer_gradient_partials(const OneHiddenLayerPlan& plan, int m, const T* a0, const T* Y, const T* theta,
                                        T* partials, double* cost_partials, cudaStream_t stream);

// grad[p] += inverse_m * sum_(b < blocks) partials[b P + p] (b in increasing order, so the result is
// the same on every run), for p < P (= count); then, when theta is not null, theta[p] -= alpha grad[p].
template <class T>
void sum_gradient_partials(int count, int blocks, const T* partials, T inverse_m, T* grad, T alpha, T* theta,
                           cudaStream_t stream);

}  // namespace digitnet::kernels
