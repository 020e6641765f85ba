#include "digitnet/train/trainer.hpp"

#include <algorithm>
#include <cmath>

#include "digitnet/cpu/cpu_backend.hpp"
#include "digitnet/cuda/cuda_backend.hpp"
#include "digitnet/errors.hpp"

namespace digitnet {

std::unique_ptr<Backend> make_backend(Device device, Precision precision, const Layout& layout, const Dataset& train,
                                      std::string* note) {
    if (device == Device::Cpu) return make_cpu_backend(precision, layout, train);
    if (device == Device::Gpu) return make_cuda_backend(precision, layout, train);
    // Auto: the GPU when one is usable, else the CPU, saying why.
    if (!cuda_compiled_in()) {
        if (note) *note = "this build has no CUDA backend: using the CPU";
        return make_cpu_backend(precision, layout, train);
    }
    if (!gpu_info()) {
        if (note) *note = "no GPU found: using the CPU";
        return make_cpu_backend(precision, layout, train);
    }
    try {
        return make_cuda_backend(precision, layout, train);
    } catch (const DeviceError& e) {
        if (note) *note = std::string("the GPU could not be used (") + e.what() + "): using the CPU";
        return make_cpu_backend(precision, layout, train);
    }
}

const char* to_string(Optimizer optimizer) {
    switch (optimizer) {
        case Optimizer::ConjugateGradient: return "cg";
        case Optimizer::Adam: return "adam";
        case Optimizer::GradientDescent: break;
    }
    return "gd";
}

TrainingOutcome run_training(Backend& backend, const TrainingPlan& plan) {
    switch (plan.optimizer) {
        case Optimizer::ConjugateGradient: return run_conjugate_gradient(backend, plan);
        case Optimizer::Adam: return run_adam(backend, plan);
        case Optimizer::GradientDescent: break;
    }
    return run_gradient_descent(backend, plan);
}

TrainingOutcome run_gradient_descent(Backend& backend, const TrainingPlan& plan) {
    TrainingOutcome outcome;
    const int total = plan.gradient_descent.iterations;
    const int chunk = plan.checkpoint_every > 0 ? plan.checkpoint_every : total;

    // The backend checks one flag; it is raised by an interrupt or by a cost that is no longer
    // finite (on the CPU every iteration, on the GPU whenever the loop reports progress).
    std::atomic<bool> stop{false};
    bool saw_nonfinite = false;
    int done = 0;
    TrainingObserver observer;
    observer.stop_requested = &stop;
    observer.on_progress = [&](int chunk_done, double cost) {
        if (plan.on_progress) plan.on_progress(done + chunk_done, cost);
        if (!std::isfinite(cost)) saw_nonfinite = true;
        if (saw_nonfinite || (plan.interrupt && plan.interrupt->load())) stop = true;
    };

    while (done < total && !stop) {
        if (plan.interrupt && plan.interrupt->load()) break;
        GradientDescentOptions step = plan.gradient_descent;
        step.iterations = std::min(chunk, total - done);
        const std::vector<double> history = backend.gradient_descent(step, observer);
        outcome.history.insert(outcome.history.end(), history.begin(), history.end());
        done += static_cast<int>(history.size());
        const auto bad = std::find_if(outcome.history.begin(), outcome.history.end(), [](double c) { return !std::isfinite(c); });
        if (bad != outcome.history.end()) {
            outcome.diverged_at = static_cast<int>(bad - outcome.history.begin()) + 1;
            return outcome;
        }
        if (plan.checkpoint_every > 0 && plan.on_checkpoint && done < total && history.size() == static_cast<std::size_t>(step.iterations))
            plan.on_checkpoint(backend.parameters(), done);
    }
    outcome.interrupted = plan.interrupt && plan.interrupt->load() && done < total;
    return outcome;
}

}  // namespace digitnet
