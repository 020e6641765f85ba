// One evaluation at given weights: the article's costFunction (J and its gradient), the
// network's outputs (its predict), the random initialisation, and the command line's gradient
// check. Each builds a backend for the call; the GIL is released while it computes.
#include <pybind11/stl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <random>

#include "arrays.hpp"
#include "bindings.hpp"
#include "digitnet/io/data_loader.hpp"
#include "digitnet/model/gradient_check.hpp"
#include "digitnet/run/checks.hpp"
#include "digitnet/run/gradient_check.hpp"
#include "digitnet/train/trainer.hpp"

namespace digitnet::python {

namespace {

// The command line's gradcheck (run::run_gradient_checks): the same two checks with the same random
// subset and weights. Central differences in double, without the GIL; every 50 ms the check takes
// the GIL back to run Python's signal handlers, so Ctrl-C raises KeyboardInterrupt at once.
py::dict gradient_check(const std::string& data_path, run::GradientCheckRequest request) {
    run::GradientCheckReport report;
    std::optional<py::error_already_set> pending;
    auto next_look = std::chrono::steady_clock::now();
    request.should_stop = [&] {
        const auto now = std::chrono::steady_clock::now();
        if (now < next_look) return false;
        next_look = now + std::chrono::milliseconds(50);
        py::gil_scoped_acquire gil;
        if (PyErr_CheckSignals() == 0) return false;
        pending.emplace();  // the KeyboardInterrupt the handler raised
        return true;
    };
    try {
        py::gil_scoped_release release;
        run::check_readable_input(data_path, "data");
        const DataFile file = load_data(data_path);
        report = run::run_gradient_checks(file.train, data_path, request);
    } catch (const run::GradientCheckStopped&) {
        if (pending) throw std::move(*pending);
        throw;
    }
    py::list results;
    for (const run::GradientCheckCase& check : report.cases) {
        py::dict result;
        result["check"] = check.name;
        result["parameters"] = check.parameters;
        result["relative_difference"] = check.relative_difference;
        results.append(result);
    }
    py::dict out;
    out["relative_difference"] = report.worst;
    out["passed"] = report.passed;
    out["lambda"] = request.lambda;
    out["epsilon"] = 1e-4;
    out["device"] = report.device_name;
    out["checks"] = results;
    return out;
}

}  // namespace

void bind_compute(py::module_& m) {
    m.def(
        "cost_and_gradient",
        [](py::handle thetas, py::handle X, py::handle y, double lambda, int label_base, const std::string& activation,
           const std::string& output, const std::string& device, const std::string& precision) {
            const Parameters parameters = parameters_from(thetas, "thetas", parse_activation(activation, "activation"),
                                                          parse_output(output, "output"));
            Dataset data = dataset_from(X, y, label_base, parameters.layout.classes());
            if (data.features() != parameters.layout.inputs())
                throw py::value_error(
                    "X: has " + std::to_string(data.features()) + " features per example but thetas[0] takes " +
                    std::to_string(parameters.layout.inputs()) + " inputs (it has " +
                    std::to_string(parameters.layout.inputs() + 1) + " columns, the first for the bias)");
            double cost = 0;
            Parameters gradient;
            {
                py::gil_scoped_release release;
                auto backend = make_backend(device_from(device), precision_from(precision), parameters.layout, data);
                backend->set_parameters(parameters);
                cost = backend->cost_and_gradient(lambda, &gradient);
            }
            return py::make_tuple(cost, thetas_to_numpy(std::move(gradient)));
        },
        py::arg("thetas"), py::arg("X"), py::arg("y"), py::arg("lambda_"), py::arg("label_base"), py::arg("activation"),
        py::arg("output"), py::arg("device"), py::arg("precision"));

    m.def(
        "output",
        [](py::handle thetas, py::handle X, const std::string& activation, const std::string& output,
           const std::string& device, const std::string& precision) {
            const Parameters parameters = parameters_from(thetas, "thetas", parse_activation(activation, "activation"),
                                                          parse_output(output, "output"));
            const Matrix<double> inputs = examples_from(X, "X");
            if (inputs.cols != parameters.layout.inputs())
                throw py::value_error("X: has " + std::to_string(inputs.cols) +
                                      " features per example but the model takes " +
                                      std::to_string(parameters.layout.inputs()));
            Matrix<double> h;
            {
                py::gil_scoped_release release;
                auto backend = make_backend(device_from(device), precision_from(precision), parameters.layout);
                backend->set_parameters(parameters);
                h = backend->output(inputs);
            }
            const py::ssize_t rows = h.rows, cols = h.cols;
            return owning_array(std::move(h.data), {rows, cols});
        },
        py::arg("thetas"), py::arg("X"), py::arg("activation"), py::arg("output"), py::arg("device"),
        py::arg("precision"));

    m.def(
        "random_parameters",
        [](const std::vector<int>& sizes, std::uint64_t seed, const std::string& activation,
           const std::string& output) {
            if (sizes.size() < 2) throw py::value_error("layer_sizes: needs at least two sizes (inputs and classes)");
            const std::vector<int> hidden(sizes.begin() + 1, sizes.end() - 1);
            const Layout layout =
                make_layout(sizes.front(), hidden, sizes.back(), parse_activation(activation, "activation"),
                            parse_output(output, "output"));
            return thetas_to_numpy(random_parameters(layout, seed));
        },
        py::arg("sizes"), py::arg("seed"), py::arg("activation"), py::arg("output"));

    m.def(
        "gradient_check",
        [](double lambda, const std::string& data_path, int examples, std::uint64_t seed, const std::string& device,
           const std::vector<int>& hidden, const std::string& activation, const std::string& output) {
            run::GradientCheckRequest request;
            request.network.hidden = hidden;
            request.network.activation = parse_activation(activation, "activation");
            request.network.output = parse_output(output, "output");
            request.examples = examples;
            request.seed = seed;
            request.lambda = lambda;
            request.device = device_from(device);
            return gradient_check(data_path, std::move(request));
        },
        py::arg("lambda_"), py::arg("data_path"), py::arg("examples"), py::arg("seed"), py::arg("device"),
        py::arg("hidden"), py::arg("activation"), py::arg("output"));

    m.def("input_buffer_address", &input_buffer_address, py::arg("X"),
          "The address of the buffer the module reads X from (tests of the no-copy rule)");
}

}  // namespace digitnet::python
