#pragma once
// Training runs: pick a backend, run an optimizer on it in chunks, and stop cleanly on an
// interrupt or a diverging cost.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "digitnet/model/backend.hpp"
#include "digitnet/train/checkpoint.hpp"
#include "digitnet/train/optimizer_options.hpp"

namespace digitnet {

// The backend for a device request, for a layout alone (enough to predict). Auto takes the GPU
// when there is a usable one and otherwise the CPU, writing the reason to `note` ("no GPU found:
// using the CPU"). Gpu without a usable GPU throws UnavailableError.
std::unique_ptr<Backend> make_backend(Device device, Precision precision, const Layout& layout,
                                      std::string* note = nullptr);
// The same with a training set attached. Auto falls back to the CPU too when the GPU cannot take
// the training set (out of GPU memory), saying why in `note`.
std::unique_ptr<Backend> make_backend(Device device, Precision precision, const Layout& layout, const Dataset& train,
                                      std::string* note = nullptr);

const char* to_string(Optimizer optimizer);            // "gd", "cg", "adam", "sgd"
const char* to_string(LearningRateSchedule schedule);  // "constant", "step", "cosine"

// What to train with: the loss's regularisation and the optimizer with its options.
struct TrainingPlan {
    double lambda = 1.0;  // the regularisation of the loss, for every optimizer
    Optimizer optimizer = Optimizer::GradientDescent;
    GradientDescentOptions gradient_descent;  // gd and cg
    MiniBatchOptions minibatch;               // adam and sgd
    AdamOptions adam;
    SgdOptions sgd;
    // When > 0, on_checkpoint is called with the parameters after every this many iterations
    // (gd), line searches (cg) or mini-batch steps (adam, sgd); on_checkpoint_state (either or
    // both may be set) with the whole checkpoint, the optimizer's state too.
    int checkpoint_every = 0;
    std::function<void(const Parameters& parameters, int iterations_done)> on_checkpoint;
    std::function<void(const Checkpoint& checkpoint)> on_checkpoint_state;
    std::function<void(int iterations_done, double latest_cost)> on_progress;
    // Set from a signal handler: training stops at the end of the current iteration (for the
    // mini-batch optimizers: the current step).
    const std::atomic<bool>* interrupt = nullptr;
};

// The one check of a plan's values (every door calls it before any work): InputError naming the
// option and the value for anything out of range (a momentum outside [0, 1), a negative decay, a
// warm-up longer than the run, a learning rate that is not positive...). `examples` is m of the
// training set (the number of steps of a mini-batch run depends on it).
void validate_plan(const TrainingPlan& plan, int examples);

// The number of iterations, line searches or steps the plan asks for on m examples.
std::int64_t planned_iterations(const TrainingPlan& plan, int examples);

struct TrainingOutcome {
    // gd and cg: J before each update (the first is J at the starting weights); adam: each
    // mini-batch's J before its update.
    std::vector<double> history;
    bool interrupted = false;
    // The first iteration (1-based) whose cost was NaN or infinite, when training diverged. The
    // backend's parameters are then not to be used.
    std::optional<int> diverged_at;
    // Where the run ended: enough to continue it with resume_training (also after an interrupt).
    Checkpoint checkpoint;
};

// Runs plan.optimizer on the backend from its current parameters, and leaves the backend holding
// the result. Validates the plan first (validate_plan).
TrainingOutcome run_training(Backend& backend, const TrainingPlan& plan);

// Continues the run that `from` was taken of (same plan, same training set) up to the plan's
// total: the same result, bit for bit, as the run that never stopped; the outcome's history
// starts with the checkpoint's. InputError when the checkpoint does not fit the plan or the
// backend (another optimizer, layout, batch, seed or training set size).
TrainingOutcome resume_training(Backend& backend, const TrainingPlan& plan, const Checkpoint& from);

// The optimizers, each from `from`: its parameters (which the backend need not hold yet), its
// state (state.iterations done) and its history, which the outcome's history starts with. A fresh
// run starts from fresh_start().
Checkpoint fresh_start(const Backend& backend, const TrainingPlan& plan);

// Full-batch gradient descent, in chunks of checkpoint_every iterations (all at once when 0): on
// the backend's own loop when it offers one (on the GPU: on the device), else on the generic loop
// over cost_and_gradient.
TrainingOutcome run_gradient_descent(Backend& backend, const TrainingPlan& plan, const Checkpoint& from);
// From the backend's current parameters.
TrainingOutcome run_gradient_descent(Backend& backend, const TrainingPlan& plan);

// Nonlinear conjugate gradient (optimizers.cpp): Polak-Ribiere+ directions, each line search
// satisfying the strong Wolfe conditions (c1 = 1e-4, c2 = 0.1), written from Nocedal & Wright,
// Numerical Optimization, algorithms 3.5 and 3.6. Stops early when a line search makes no progress.
// The current point is kept in double (the backend holds it rounded to its precision).
TrainingOutcome run_conjugate_gradient(Backend& backend, const TrainingPlan& plan, const Checkpoint& from);

// Adam or SGD (plan.optimizer) on mini-batches of plan.minibatch.batch examples, a new order every
// epoch (shuffle.hpp): on the backend's own loop when it offers one, else on the host-driven loop
// over cost_and_gradient_on (the same steps, in the backend's precision).
TrainingOutcome run_minibatch(Backend& backend, const TrainingPlan& plan, const Checkpoint& from);

// The host-driven mini-batch loop alone (what run_minibatch uses without a backend loop): for
// the tests that compare the two.
TrainingOutcome run_minibatch_on_host(Backend& backend, const TrainingPlan& plan, const Checkpoint& from);

}  // namespace digitnet
