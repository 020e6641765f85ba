#pragma once
// Training runs: pick a backend, run an optimizer on it in chunks, and stop cleanly on an
// interrupt or a diverging cost.
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "digitnet/backend.hpp"

namespace digitnet {

// The backend for a device request. Auto takes the GPU when there is a usable one and otherwise
// the CPU, writing the reason to `note` ("no GPU found: using the CPU"). Gpu without a usable
// GPU throws UnavailableError.
std::unique_ptr<Backend> make_backend(Device device, Precision precision, const Layout& layout,
                                      const Dataset& train, std::string* note = nullptr);

struct TrainingPlan {
    GradientDescentOptions gradient_descent;
    // When > 0, on_checkpoint is called with the parameters after every this many iterations.
    int checkpoint_every = 0;
    std::function<void(const Parameters& parameters, int iterations_done)> on_checkpoint;
    std::function<void(int iterations_done, double latest_cost)> on_progress;
    // Set from a signal handler: training stops at the end of the current iteration.
    const std::atomic<bool>* interrupt = nullptr;
};

struct TrainingOutcome {
    std::vector<double> history;  // J before each update, one per completed iteration
    bool interrupted = false;
    // The first iteration (1-based) whose cost was NaN or infinite, when training diverged. The
    // backend's parameters are then not to be used.
    std::optional<int> diverged_at;
};

// Full-batch gradient descent on the backend from its current parameters, in chunks of
// checkpoint_every iterations (all at once when 0).
TrainingOutcome run_gradient_descent(Backend& backend, const TrainingPlan& plan);

}  // namespace digitnet
