#include "digitnet/train/trainer.hpp"

#include <algorithm>
#include <cmath>

#include "digitnet/cpu/cpu_backend.hpp"
#include "digitnet/cuda/cuda_backend.hpp"
#include "digitnet/errors.hpp"

namespace digitnet {

std::unique_ptr<Backend> make_backend(Device device, Precision precision, const Layout& layout, std::string* note) {
    if (device == Device::Cpu) return make_cpu_backend(precision, layout);
    if (device == Device::Gpu) return make_cuda_backend(precision, layout);
    // Auto: the GPU when one is usable, else the CPU, saying why.
    if (!cuda_compiled_in()) {
        if (note) *note = "this build has no CUDA backend: using the CPU";
        return make_cpu_backend(precision, layout);
    }
    if (!gpu_info()) {
        if (note) *note = "no GPU found: using the CPU";
        return make_cpu_backend(precision, layout);
    }
    try {
        return make_cuda_backend(precision, layout);
    } catch (const DeviceError& e) {
        if (note) *note = std::string("the GPU could not be used (") + e.what() + "): using the CPU";
        return make_cpu_backend(precision, layout);
    }
}

std::unique_ptr<Backend> make_backend(Device device, Precision precision, const Layout& layout, const Dataset& train,
                                      std::string* note) {
    check_fits(layout, train);  // before any device work: the same message on every backend
    std::unique_ptr<Backend> backend = make_backend(device, precision, layout, note);
    if (device != Device::Auto || backend->device() == Device::Cpu) {
        backend->set_training_set(train);
        return backend;
    }
    try {
        backend->set_training_set(train);
        return backend;
    } catch (const DeviceError& e) {
        if (note) *note = std::string("the GPU could not take the training set (") + e.what() + "): using the CPU";
        backend = make_cpu_backend(precision, layout);
        backend->set_training_set(train);
        return backend;
    }
}

const char* to_string(Optimizer optimizer) {
    switch (optimizer) {
        case Optimizer::ConjugateGradient:
            return "cg";
        case Optimizer::Adam:
            return "adam";
        case Optimizer::Sgd:
            return "sgd";
        case Optimizer::GradientDescent:
            break;
    }
    return "gd";
}

const char* to_string(LearningRateSchedule schedule) {
    switch (schedule) {
        case LearningRateSchedule::Step:
            return "step";
        case LearningRateSchedule::Cosine:
            return "cosine";
        case LearningRateSchedule::Constant:
            break;
    }
    return "constant";
}

Checkpoint fresh_start(const Backend& backend, const TrainingPlan& plan) {
    Checkpoint start;
    start.parameters = backend.parameters();
    start.state.optimizer = plan.optimizer;
    if (plan.optimizer == Optimizer::Adam || plan.optimizer == Optimizer::Sgd) {
        start.state.seed = plan.minibatch.seed;
        start.state.batch = plan.minibatch.batch;
        start.state.examples = backend.examples();
    }
    return start;
}

namespace {

TrainingOutcome run_from(Backend& backend, const TrainingPlan& plan, const Checkpoint& from) {
    switch (plan.optimizer) {
        case Optimizer::ConjugateGradient:
            return run_conjugate_gradient(backend, plan, from);
        case Optimizer::Adam:
        case Optimizer::Sgd:
            return run_minibatch(backend, plan, from);
        case Optimizer::GradientDescent:
            break;
    }
    return run_gradient_descent(backend, plan, from);
}

}  // namespace

TrainingOutcome run_training(Backend& backend, const TrainingPlan& plan) {
    validate_plan(plan, backend.examples());
    return run_from(backend, plan, fresh_start(backend, plan));
}

TrainingOutcome resume_training(Backend& backend, const TrainingPlan& plan, const Checkpoint& from) {
    validate_plan(plan, backend.examples());
    const OptimizerState& s = from.state;
    const auto refuse = [](const std::string& why) {
        throw InputError("the checkpoint does not fit this run: " + why);
    };
    if (s.optimizer != plan.optimizer)
        refuse(std::string("it was made by ") + to_string(s.optimizer) + ", this run uses " +
               to_string(plan.optimizer));
    if (!(from.parameters.layout == backend.layout()))
        refuse("its network is " + from.parameters.layout.describe() + ", this run trains " +
               backend.layout().describe());
    if (from.parameters.values.size() != backend.layout().parameter_count()) refuse("its weights are incomplete");
    const std::int64_t total = planned_iterations(plan, backend.examples());
    if (s.iterations < 0 || s.iterations > total)
        refuse("it is " + std::to_string(s.iterations) + " iterations in, this run has " + std::to_string(total));
    if (plan.optimizer == Optimizer::Adam || plan.optimizer == Optimizer::Sgd) {
        if (s.examples != backend.examples())
            refuse("it was made on " + std::to_string(s.examples) + " examples, this run has " +
                   std::to_string(backend.examples()));
        if (s.batch != plan.minibatch.batch)
            refuse("it was made with batches of " + std::to_string(s.batch) + ", this run has " +
                   std::to_string(plan.minibatch.batch));
        if (s.seed != plan.minibatch.seed)
            refuse("it was made with seed " + std::to_string(s.seed) + ", this run has " +
                   std::to_string(plan.minibatch.seed));
    }
    const std::size_t n = from.parameters.values.size();
    const bool adam = plan.optimizer == Optimizer::Adam;
    const bool has_first = plan.optimizer != Optimizer::GradientDescent;
    if ((has_first && !s.first.empty() && s.first.size() != n) || (adam && !s.second.empty() && s.second.size() != n))
        refuse("its optimizer state does not have one value per weight");
    backend.set_parameters(from.parameters);
    return run_from(backend, plan, from);
}

namespace {

// The generic loop, for backends without their own (the data-parallel one): J and its gradient,
// then the update on the host, then the new parameters back into the backend.
//
// The update keeps the weights in the backend's own precision, as the backends' loops do: in
// double for double, and for float (and tf32/bf16, whose master weights are FP32) rounded to float
// after each step: theta - alpha g with alpha and g as floats, computed in double (the product is
// exact) and rounded once, the CPU backend's own float update to the bit (cpu_elementwise.cpp,
// descend). With weights kept in double instead, several processes drifted from one process's
// float run by twice as much as the order of their sums alone makes them (1.3e-6 against 5.7e-7 of
// the weights over the seed's 800 steps).
std::vector<double> generic_gradient_descent(Backend& backend, const GradientDescentSteps& steps,
                                             const TrainingObserver& observer) {
    std::vector<double> history;
    Parameters theta = backend.parameters();
    Parameters gradient;
    const bool float_weights = backend.precision() != Precision::Double;
    const double alpha_float = static_cast<float>(steps.alpha);
    for (int it = 0; it < steps.iterations; ++it) {
        if (observer.stop_requested && observer.stop_requested->load()) break;
        history.push_back(backend.cost_and_gradient(steps.lambda, &gradient));
        for (std::size_t j = 0; j < theta.values.size(); ++j) {
            double& w = theta.values[j];
            if (float_weights)
                w = static_cast<float>(w - alpha_float * static_cast<float>(gradient.values[j]));
            else
                w -= steps.alpha * gradient.values[j];
        }
        backend.set_parameters(theta);
        if (observer.on_progress) observer.on_progress(it + 1, history.back());
    }
    return history;
}

}  // namespace

TrainingOutcome run_gradient_descent(Backend& backend, const TrainingPlan& plan) {
    return run_gradient_descent(backend, plan, fresh_start(backend, plan));
}

TrainingOutcome run_gradient_descent(Backend& backend, const TrainingPlan& plan, const Checkpoint& from) {
    TrainingOutcome outcome;
    outcome.history = from.history;
    const int total = plan.gradient_descent.iterations;
    const int chunk = plan.checkpoint_every > 0 ? plan.checkpoint_every : total;
    backend.set_parameters(from.parameters);

    // The backend checks one flag; it is raised by an interrupt or by a cost that is no longer
    // finite (on the CPU every iteration, on the GPU whenever the loop reports progress).
    std::atomic<bool> stop{false};
    bool saw_nonfinite = false;
    int done = static_cast<int>(from.state.iterations);
    TrainingObserver observer;
    observer.stop_requested = &stop;
    observer.on_progress = [&](int chunk_done, double cost) {
        if (plan.on_progress) plan.on_progress(done + chunk_done, cost);
        if (!std::isfinite(cost)) saw_nonfinite = true;
        if (saw_nonfinite || (plan.interrupt && plan.interrupt->load())) stop = true;
    };
    const auto checkpoint_now = [&] {
        Checkpoint c;
        c.parameters = backend.parameters();
        c.state.optimizer = Optimizer::GradientDescent;
        c.state.iterations = done;
        c.history = outcome.history;
        return c;
    };

    while (done < total && !stop) {
        if (plan.interrupt && plan.interrupt->load()) break;
        // Chunks end on multiples of checkpoint_every, wherever the run started.
        const int step_count = std::min(chunk - done % chunk, total - done);
        const GradientDescentSteps step{step_count, plan.gradient_descent.alpha, plan.lambda};
        GradientDescentLoop* own_loop = backend.gradient_descent_loop();
        const std::vector<double> history =
            own_loop ? own_loop->run(step, observer) : generic_gradient_descent(backend, step, observer);
        outcome.history.insert(outcome.history.end(), history.begin(), history.end());
        done += static_cast<int>(history.size());
        const auto bad =
            std::find_if(outcome.history.begin(), outcome.history.end(), [](double c) { return !std::isfinite(c); });
        if (bad != outcome.history.end()) {
            outcome.diverged_at = static_cast<int>(bad - outcome.history.begin()) + 1;
            return outcome;
        }
        if (plan.checkpoint_every > 0 && done < total && history.size() == static_cast<std::size_t>(step.iterations)) {
            if (plan.on_checkpoint) plan.on_checkpoint(backend.parameters(), done);
            if (plan.on_checkpoint_state) plan.on_checkpoint_state(checkpoint_now());
        }
    }
    outcome.interrupted = plan.interrupt && plan.interrupt->load() && done < total;
    outcome.checkpoint = checkpoint_now();
    return outcome;
}

}  // namespace digitnet
