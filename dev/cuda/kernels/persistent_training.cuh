#pragma once
// Gradient descent on the seed's network shape (one sigmoid hidden layer of at most 32 units, at
// most 32 sigmoid outputs) with a chunk of iterations in ONE cooperative launch: the blocks stay
// resident and advance together through two grid-wide barriers an iteration, instead of the fused
// path's launches, graph replays and side branch (bench/RESULTS.md: 26.4 us an iteration there,
// most of it launches and barriers). persistent_training.cu writes the math out.
#include <cuda_runtime_api.h>

#include <cstddef>
#include <string>

#include "one_hidden_layer_gradient.cuh"

namespace digitnet::kernels {

// How the persistent kernel runs for one network shape on the current device. Computed once per
// backend: it queries the device.
struct PersistentTrainingPlan {
    // Tiles, padded width and shared memory as the fused kernel's plan, with resident_blocks the
    // blocks of THIS kernel the device co-schedules (cudaOccupancyMaxActiveBlocksPerMultiprocessor
    // x SMs): a cooperative launch may not use more.
    OneHiddenLayerPlan tiles;
    int registers = 0;  // per thread, from cudaFuncGetAttributes (for reports)
    int blocks_per_sm = 0;
    std::string unavailable;  // empty: usable; otherwise why not (no cooperative launch, too wide, ...)
    bool usable() const { return unavailable.empty(); }
    // Entries of the partials buffer (the blocks' gradient shares): resident_blocks x P.
    std::size_t partial_count() const;
};

template <class T>
PersistentTrainingPlan plan_persistent_training(int inputs, int hidden, int classes);

// One launch: `iterations` gradient-descent iterations over the m examples (a0 = [1, X] (m, n)
// row-major, Y one-hot (m, K)) at theta (P entries: Theta1 (H, n) then Theta2 (K, H+1)):
//   J(theta) into history[*iteration], then ++*iteration (device memory; as regularized_cost does)
//   grad = (1/m) sum_i d^T a + (lambda/m) [0, Theta[:, 1:]]
//   theta -= alpha grad   when step (else theta is left as it is: J and the gradient only)
// Scratch (device memory, plan-sized): partials (partial_count() entries), cost_partials and
// square_partials (resident_blocks entries each).
template <class T>
struct PersistentTrainingRun {
    int m = 0;
    const T* a0 = nullptr;
    const T* Y = nullptr;
    T* theta = nullptr;
    T* grad = nullptr;
    T* partials = nullptr;
    double* cost_partials = nullptr;
    double* square_partials = nullptr;
    double* history = nullptr;
    int* iteration = nullptr;
    int iterations = 1;
    double lambda = 0.0;
    double alpha = 0.0;
    bool step = false;
};

template <class T>
void persistent_training(const PersistentTrainingPlan& plan, const PersistentTrainingRun<T>& run, cudaStream_t stream);

}  // namespace digitnet::kernels
