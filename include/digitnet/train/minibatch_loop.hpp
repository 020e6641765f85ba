#pragma once
// A backend's own mini-batch loop (issue 21): the parameters, the optimizer's state, the training
// set and each epoch's permutation stay in the backend, and every step (gather the batch's rows,
// forward, backward, update) runs there without allocating. The host only starts it, asks for a
// number of steps and reads the state back for checkpoints. The host-driven loop it replaces
// (optimizers.cpp, for backends without one) computes the same steps through cost_and_gradient_on,
// with the same formulas (update_rules.hpp).
#include <cstdint>
#include <vector>

#include "digitnet/model/backend.hpp"
#include "digitnet/train/checkpoint.hpp"
#include "digitnet/train/optimizer_options.hpp"

namespace digitnet {

// What a mini-batch run is, fixed for the run (validated by validate_plan first).
struct MiniBatchRun {
    Optimizer optimizer = Optimizer::Adam;  // Adam or Sgd
    MiniBatchOptions minibatch;
    AdamOptions adam;
    SgdOptions sgd;
    double lambda = 0.0;  // the cost's L2 term, scaled per batch as the host-driven loop does
};

class MiniBatchLoop {
public:
    virtual ~MiniBatchLoop() = default;
    // Starts a run from the backend's current parameters and `state` (state.iterations steps
    // already done, its buffers the optimizer's; empty buffers are zeros). Allocates everything
    // the steps need, once.
    virtual void begin(const MiniBatchRun& run, const OptimizerState& state) = 0;
    // Runs steps until `until_step` steps are done in all, or until the observer stops it
    // (checked every step) or a step's J is not finite or above cost_limit (the step is then the
    // last); returns J of each step run (the batch's J before its update). Calls
    // observer.on_progress (with the steps done in all) every few hundred milliseconds and at the end.
    virtual std::vector<double> run(std::int64_t until_step, double cost_limit, const TrainingObserver& observer) = 0;
    // The optimizer's state after the steps run so far, buffers in double.
    virtual OptimizerState state() const = 0;
};

}  // namespace digitnet
