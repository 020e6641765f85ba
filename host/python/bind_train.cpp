// A training run from Python: the command line's `train` (same initial weights for the same seed,
// same optimizers, same backend choice), with the GIL released while it runs.
//
// Python gets control back from inside the run through the training plan's progress callback: it
// takes the GIL, runs Python's signal handlers (PyErr_CheckSignals: Ctrl-C becomes a
// KeyboardInterrupt) and the user's callback; either can stop the run through the plan's interrupt
// flag, which the loops check at the end of every iteration (on the GPU, of every chunk). The
// backend is local to the call, so nothing is left half-done when it stops.
#include <pybind11/stl.h>

#include <atomic>
#include <chrono>
#include <optional>

#include "arrays.hpp"
#include "bindings.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/train/trainer.hpp"

namespace digitnet::python {

namespace {

struct TrainArguments {
    std::vector<int> hidden;
    std::string activation, output, optimizer;
    int iterations = 800;
    double alpha = 0.8, lambda = 1.0;
    int epochs = 10, batch = 128;
    double learning_rate = 1e-3;
    std::uint64_t seed = 1;
    std::string device, precision;
};

Optimizer optimizer_from(const std::string& text) {
    return text == "cg" ? Optimizer::ConjugateGradient : text == "adam" ? Optimizer::Adam : Optimizer::GradientDescent;
}

// Called by the training loop, without the GIL, after iterations (see the file's comment).
class PythonProgress {
public:
    PythonProgress(py::object report, int every, std::atomic<bool>& stop)
        : report_(std::move(report)), every_(every), next_report_(every), stop_(stop) {}

    void operator()(int done, double cost) {
        if (stop_.load()) return;
        py::gil_scoped_acquire gil;
        if (PyErr_CheckSignals() != 0) return stop_with_python_error();
        if (report_.is_none() || done < next_report_) return;
        next_report_ = (done / every_ + 1) * every_;
        try {
            const py::object go_on = report_(done, cost);
            if (go_on.is(py::bool_(false))) stop_.store(true);
        } catch (py::error_already_set& e) {
            error_ = std::move(e);
            stop_.store(true);
        }
    }

    // Raises the KeyboardInterrupt or the callback's exception, if there was one. With the GIL.
    void raise_pending() {
        if (error_) {
            py::error_already_set error = std::move(*error_);
            error_.reset();
            throw error;
        }
    }

private:
    void stop_with_python_error() {
        error_.emplace();  // fetches the KeyboardInterrupt (or other error) the signal handler raised
        stop_.store(true);
    }

    py::object report_;
    int every_;
    int next_report_;
    std::atomic<bool>& stop_;
    std::optional<py::error_already_set> error_;
};

py::dict train(py::handle X, py::handle y, int label_base, py::object image, py::object init, const TrainArguments& a,
               py::object report, int report_every) {
    Dataset data = dataset_from(X, y, label_base);
    if (!image.is_none()) {
        const auto shape = image.cast<py::tuple>();
        data.image = {shape[0].cast<int>(), shape[1].cast<int>(), shape[2].cast<std::string>() == "F"};
    }
    const Activation activation = parse_activation(a.activation, "activation");
    const Output output = parse_output(a.output, "output");
    Parameters initial;
    if (!init.is_none()) {
        initial = parameters_from(init, "init", activation, output);
        if (initial.layout.inputs() != data.features())
            throw py::value_error("init: takes " + std::to_string(initial.layout.inputs()) + " inputs but X has " +
                                  std::to_string(data.features()) + " features");
        if (initial.layout.classes() < data.classes)
            throw py::value_error("init: has " + std::to_string(initial.layout.classes()) +
                                  " outputs but y has labels up to " + std::to_string(data.classes - 1 + label_base));
        data.classes = initial.layout.classes();
    } else {
        initial = random_parameters(make_layout(data.features(), a.hidden, data.classes, activation, output), a.seed);
    }

    std::atomic<bool> stop{false};
    PythonProgress progress(std::move(report), std::max(report_every, 1), stop);
    TrainingPlan plan;
    plan.lambda = a.lambda;
    plan.optimizer = optimizer_from(a.optimizer);
    plan.gradient_descent = {a.iterations, a.alpha};
    plan.minibatch.epochs = a.epochs;
    plan.minibatch.batch = a.batch;
    plan.minibatch.learning_rate = a.learning_rate;
    plan.minibatch.seed = a.seed;
    plan.interrupt = &stop;
    plan.on_progress = [&progress](int done, double cost) { progress(done, cost); };

    TrainingOutcome outcome;
    Parameters trained;
    ModelInfo info;
    std::string device_name, note;
    double final_cost = 0;
    double seconds = 0;  // the training loop alone, as the command line's `seconds`
    {
        py::gil_scoped_release release;
        auto backend = make_backend(device_from(a.device), precision_from(a.precision), initial.layout, data, &note);
        device_name = backend->device_name();
        backend->set_parameters(initial);
        const auto start = std::chrono::steady_clock::now();
        outcome = run_training(*backend, plan);
        seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (!outcome.diverged_at) {
            trained = backend->parameters();
            if (!outcome.interrupted) final_cost = backend->cost_and_gradient(a.lambda, nullptr);
        }
        info = model_info_for(data);
    }
    progress.raise_pending();
    if (outcome.diverged_at) {
        const double bad = outcome.history[static_cast<std::size_t>(*outcome.diverged_at - 1)];
        throw TrainingDiverged("training diverged: the cost became " +
                               std::string(std::isnan(bad) ? "NaN" : "infinite") + " at iteration " +
                               std::to_string(*outcome.diverged_at) + "; HINT: try a smaller alpha");
    }
    py::dict out;
    out["stopped"] = outcome.interrupted;  // only the callback stops a run without raising
    out["final_cost"] = outcome.interrupted ? py::object(py::none()) : py::object(py::float_(final_cost));
    const auto steps = static_cast<py::ssize_t>(outcome.history.size());
    out["history"] = owning_array(std::move(outcome.history), {steps});
    out["device"] = device_name;
    out["seconds"] = seconds;
    out["note"] = note;
    out["info"] = info_to_dict(info);
    out["thetas"] = thetas_to_numpy(std::move(trained));
    return out;
}

}  // namespace

void bind_train(py::module_& m) {
    m.def(
        "train",
        [](py::handle X, py::handle y, int label_base, py::object image, py::object init, std::vector<int> hidden,
           std::string activation, std::string output, std::string optimizer, int iterations, double alpha,
           double lambda, int epochs, int batch, double learning_rate, std::uint64_t seed, std::string device,
           std::string precision, py::object report, int report_every) {
            const TrainArguments arguments{std::move(hidden),
                                           std::move(activation),
                                           std::move(output),
                                           std::move(optimizer),
                                           iterations,
                                           alpha,
                                           lambda,
                                           epochs,
                                           batch,
                                           learning_rate,
                                           seed,
                                           std::move(device),
                                           std::move(precision)};
            return train(X, y, label_base, std::move(image), std::move(init), arguments, std::move(report),
                         report_every);
        },
        py::arg("X"), py::arg("y"), py::arg("label_base"), py::arg("image"), py::arg("init"), py::arg("hidden"),
        py::arg("activation"), py::arg("output"), py::arg("optimizer"), py::arg("iterations"), py::arg("alpha"),
        py::arg("lambda_"), py::arg("epochs"), py::arg("batch"), py::arg("learning_rate"), py::arg("seed"),
        py::arg("device"), py::arg("precision"), py::arg("report"), py::arg("report_every"));
}

}  // namespace digitnet::python
