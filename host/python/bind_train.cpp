// A training run from Python: the run layer's request (run/run.hpp), as the command line's
// `train` runs it (same checks, initial weights, optimizers, backend choice and messages), with
// the GIL released while it runs.
//
// Python gets control back from inside the run through the training plan's progress callback: it
// takes the GIL, runs Python's signal handlers (PyErr_CheckSignals: Ctrl-C becomes a
// KeyboardInterrupt) and the user's callback; either can stop the run through the plan's interrupt
// flag, which the loops check at the end of every iteration (on the GPU, of every chunk). The
// backend is local to the call, so nothing is left half-done when it stops.
#include <pybind11/stl.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <optional>

#include "arrays.hpp"
#include "bindings.hpp"
#include "digitnet/distributed/communicator.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/run/run.hpp"
#include "digitnet/train/trainer.hpp"

namespace digitnet::python {

namespace {

// The optimizer options given as keywords ({"iterations": 40, "alpha": 0.5}), into the request
// through the run layer's table: the types Python users expect (TypeError), the values the run
// layer checks (ValueError, also for integers beyond 2^31).
void set_options(run::OptimizerSettings& settings, const py::dict& options) {
    for (const auto& [key, value] : options) {
        const std::string name = key.cast<std::string>();
        const std::optional<run::Setting> setting = run::setting_named(name, run::Door::Python);
        const run::SettingSpelling* row = nullptr;
        for (const run::SettingSpelling& s : run::settings_table())
            if (setting && s.setting == *setting && !s.optimizers.empty()) row = &s;
        if (!row) throw py::type_error("train() got an unexpected keyword argument '" + name + "'");
        const std::string type = py::str(py::type::handle_of(value).attr("__name__")).cast<std::string>();
        const bool is_bool = py::isinstance<py::bool_>(value);
        const bool is_int = !is_bool && PyIndex_Check(value.ptr());
        if (row->whole && !is_int) throw py::type_error(name + ": expected an integer, got " + type);
        if (!row->whole && (is_bool || !PyNumber_Check(value.ptr())))
            throw py::type_error(name + ": expected a number, got " + type);
        double number = is_int ? PyLong_AsDouble(py::reinterpret_steal<py::object>(PyNumber_Index(value.ptr())).ptr())
                               : value.cast<double>();
        if (is_int && PyErr_Occurred()) {  // beyond a double: the run layer says it is too large
            PyErr_Clear();
            number = INFINITY;
        }
        run::set_optimizer_option(settings, *setting, number, run::Door::Python);
    }
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

py::dict train(py::handle X, py::handle y, int label_base, py::object image, py::object init, py::object init_info,
               run::RunRequest request, const py::dict& options, py::object report, int report_every) {
    Dataset data = dataset_from(X, y, label_base);
    if (!image.is_none()) {
        const auto shape = image.cast<py::tuple>();
        data.image = {shape[0].cast<int>(), shape[1].cast<int>(), shape[2].cast<std::string>() == "F"};
    }
    set_options(request.optimizer, options);
    run::RunInputs inputs;
    inputs.train = &data;
    if (!init.is_none()) {
        ModelFile model;
        model.parameters = parameters_from(init, "init", request.network.activation.value_or(Activation::Sigmoid),
                                           request.network.output.value_or(Output::Sigmoid));
        // A Model brings its metadata (its label convention is checked against y's); bare arrays
        // are taken to be of y's convention.
        model.info = init_info.is_none() ? default_model_info(model.parameters.layout.inputs())
                                         : info_from_dict(init_info.cast<py::dict>());
        if (init_info.is_none()) model.info.label_base = label_base;
        if (model.parameters.layout.inputs() != data.features())
            throw py::value_error("init: takes " + std::to_string(model.parameters.layout.inputs()) +
                                  " inputs but X has " + std::to_string(data.features()) + " features");
        if (model.parameters.layout.classes() < data.classes)
            throw py::value_error("init: has " + std::to_string(model.parameters.layout.classes()) +
                                  " outputs but y has labels up to " + std::to_string(data.classes - 1 + label_base));
        data.classes = model.parameters.layout.classes();
        inputs.init = std::move(model);
    }

    std::atomic<bool> stop{false};
    PythonProgress progress(std::move(report), std::max(report_every, 1), stop);
    run::RunHooks hooks;
    hooks.interrupt = &stop;
    hooks.on_progress = [&progress](int done, double cost) { progress(done, cost); };
    std::string note;
    hooks.on_note = [&note](const std::string& text) { note += (note.empty() ? "" : "; ") + text; };

    run::RunResult result;
    {
        py::gil_scoped_release release;
        auto single = make_single_process_communicator();
        result = run::run_request(request, *single, inputs, hooks);
    }
    progress.raise_pending();
    py::dict out;
    out["stopped"] = result.interrupted;  // only the callback stops a run without raising
    out["final_cost"] = result.interrupted ? py::object(py::none()) : py::object(py::float_(result.final_cost));
    const auto steps = static_cast<py::ssize_t>(result.history.size());
    out["history"] = owning_array(std::move(result.history), {steps});
    out["device"] = result.device_name;
    out["seconds"] = result.seconds;
    out["note"] = note;
    out["info"] = info_to_dict(result.model.info);
    out["thetas"] = thetas_to_numpy(std::move(result.model.parameters));
    return out;
}

}  // namespace

void bind_train(py::module_& m) {
    // The optimizers' own keywords, from the run layer's table (train() collects them by these names).
    py::list names;
    for (const run::SettingSpelling& s : run::settings_table())
        if (!s.optimizers.empty()) names.append(s.python);
    m.attr("OPTIMIZER_OPTIONS") = py::tuple(names);
    m.attr("OPTIMIZERS") = py::tuple(py::cast(run::optimizer_names()));

    m.def(
        "train",
        [](py::handle X, py::handle y, int label_base, py::object image, py::object init, py::object init_info,
           py::object hidden, py::object activation, py::object output, const std::string& optimizer,
           const py::dict& options, double lambda, std::uint64_t seed, const std::string& device,
           const std::string& precision, py::object report, int report_every) {
            run::RunRequest request;
            request.door = run::Door::Python;
            if (!hidden.is_none()) {
                request.network.hidden = hidden.cast<std::vector<int>>();
                request.network.hidden_given = true;
            }
            if (!activation.is_none())
                request.network.activation = parse_activation(activation.cast<std::string>(), "activation");
            if (!output.is_none()) request.network.output = parse_output(output.cast<std::string>(), "output");
            request.optimizer.optimizer = run::parse_optimizer(optimizer, run::Door::Python);
            request.lambda = lambda;
            request.seed = seed;
            request.device = device_from(device);
            request.precision = precision_from(precision);
            return train(X, y, label_base, std::move(image), std::move(init), std::move(init_info), std::move(request),
                         options, std::move(report), report_every);
        },
        py::arg("X"), py::arg("y"), py::arg("label_base"), py::arg("image"), py::arg("init"), py::arg("init_info"),
        py::arg("hidden"), py::arg("activation"), py::arg("output"), py::arg("optimizer"), py::arg("options"),
        py::arg("lambda_"), py::arg("seed"), py::arg("device"), py::arg("precision"), py::arg("report"),
        py::arg("report_every"));

    m.def(
        "planned_steps",
        [](const std::string& optimizer, const py::dict& options, int examples) {
            run::OptimizerSettings settings;
            settings.optimizer = run::parse_optimizer(optimizer, run::Door::Python);
            set_options(settings, options);
            return run::planned_steps(settings, examples);
        },
        py::arg("optimizer"), py::arg("options"), py::arg("examples"));
}

}  // namespace digitnet::python
