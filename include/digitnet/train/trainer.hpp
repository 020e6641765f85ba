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

enum class Optimizer {
    GradientDescent,    // the seed's full-batch gradient descent
    ConjugateGradient,  // nonlinear conjugate gradient (Polak-Ribiere+), Wolfe line searches
    Adam,               // mini-batch Adam
};
const char* to_string(Optimizer optimizer);  // "gd", "cg", "adam"

struct AdamOptions {
    int epochs = 10;
    int batch = 128;
    double learning_rate = 1e-3;
    double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
    std::uint64_t seed = 1;  // the order of the examples, reshuffled each epoch
};

struct GradientDescentOptions {
    int iterations = 800;  // gradient steps (gd) or line searches (cg)
    double alpha = 0.8;    // gd only
};

// What to train with: the loss's regularisation and the optimizer with its options.
struct TrainingPlan {
    double lambda = 1.0;  // the regularisation of the loss, for every optimizer
    Optimizer optimizer = Optimizer::GradientDescent;
    GradientDescentOptions gradient_descent;
    AdamOptions adam;
    // When > 0, on_checkpoint is called with the parameters after every this many iterations
    // (gd), line searches (cg) or mini-batch steps (adam).
    int checkpoint_every = 0;
    std::function<void(const Parameters& parameters, int iterations_done)> on_checkpoint;
    std::function<void(int iterations_done, double latest_cost)> on_progress;
    // Set from a signal handler: training stops at the end of the current iteration.
    const std::atomic<bool>* interrupt = nullptr;
};

struct TrainingOutcome {
    // gd and cg: J before each update (the first is J at the starting weights); adam: each
    // mini-batch's J before its update.
    std::vector<double> history;
    bool interrupted = false;
    // The first iteration (1-based) whose cost was NaN or infinite, when training diverged. The
    // backend's parameters are then not to be used.
    std::optional<int> diverged_at;
};

// Runs plan.optimizer on the backend from its current parameters, and leaves the backend holding
// the result.
TrainingOutcome run_training(Backend& backend, const TrainingPlan& plan);

// Full-batch gradient descent, in chunks of checkpoint_every iterations (all at once when 0): on
// the backend's own loop when it offers one (on the GPU: on the device), else on the generic loop
// over cost_and_gradient.
TrainingOutcome run_gradient_descent(Backend& backend, const TrainingPlan& plan);

// Nonlinear conjugate gradient (optimizers.cpp): Polak-Ribiere+ directions, each line search
// satisfying the strong Wolfe conditions (c1 = 1e-4, c2 = 0.1), written from Nocedal & Wright,
// Numerical Optimization, algorithms 3.5 and 3.6. Stops early when a line search makes no progress.
TrainingOutcome run_conjugate_gradient(Backend& backend, const TrainingPlan& plan);

// Adam (Kingma & Ba) on mini-batches of plan.adam.batch examples, reshuffled every epoch.
TrainingOutcome run_adam(Backend& backend, const TrainingPlan& plan);

}  // namespace digitnet
