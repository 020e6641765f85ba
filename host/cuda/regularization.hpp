#pragma once
// The regularisation of J and its gradient, on a side branch of each iteration beside the forward
// pass (DESIGN.md: lambda/(2m) sum Theta_l[:, 1:]^2 in J, (lambda/m) [0, Theta_l[:, 1:]] in the
// gradient):
//   stream:  fork ─ [forward, output kernels] ─ cost terms ─ (wait regularized) backward ─ (wait join)
//   side:    regularized_gradient_init ─ regularized ─ (wait cost terms) regularized_cost ─ join
// regularized_gradient_init writes grad = (lambda/m) mask .* Theta and the squares' partial sums;
// the gradient GEMMs (or the fused sum) then add the data term to grad with beta = 1.
// regularized_cost adds the pass's cost partials and the squares into J = history[*iteration].
#include <cuda_runtime_api.h>

#include "cuda_handles.hpp"
#include "device_buffer.hpp"
#include "device_network.hpp"

namespace digitnet::cuda {

template <class T>
class Regularization {
public:
    // The mask (0 on the bias column of each Theta_l, 1 elsewhere), uploaded once, the squares'
    // partials, the side stream and its events.
    explicit Regularization(DeviceNetwork<T>& network);

    // The start of the side branch: it forks from the main stream and computes the gradient's
    // regularisation term (into the network's grad) and the squares, at the current Theta.
    void enqueue_gradient_term(double lambda, int m);

    // Once the main stream has queued the pass's cost terms: the side branch adds them (`count`
    // partials) and the squares into history[*iteration] (then ++*iteration); the main stream then
    // waits for the gradient term (the gradient builds on it).
    void enqueue_cost(const double* cost_partials, int count, double lambda, int m, double* history, int* iteration);

    // The main stream waits for J: the end of the side branch joins it back.
    void enqueue_join();

private:
    DeviceNetwork<T>& network_;
    DeviceBuffer<T> mask_;
    DeviceBuffer<double> square_partials_;
    Stream side_;
    Event fork_, regularized_, cost_terms_, join_;
};

}  // namespace digitnet::cuda
