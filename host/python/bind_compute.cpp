// One evaluation at given weights: the article's costFunction (J and its gradient), the
// network's outputs (its predict), the random initialisation, and the command line's gradient
// check. Each builds a backend for the call; the GIL is released while it computes.
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "arrays.hpp"
#include "bindings.hpp"
#include "digitnet/io/data_loader.hpp"
#include "digitnet/model/gradient_check.hpp"
#include "digitnet/train/gradient_check_run.hpp"
#include "digitnet/train/trainer.hpp"

namespace digitnet::python {

namespace {

// The command line's gradcheck (run_gradient_checks, host/train): the same two checks with the
// same random subset and weights. Central differences in double, without the GIL.
py::dict gradient_check(double lambda, const std::string& data_path, int examples, std::uint64_t seed, Device device) {
    GradientCheckReport report;
    {
        py::gil_scoped_release release;
        const DataFile file = load_data(data_path);
        report = run_gradient_checks(file.train, data_path, examples, seed, lambda, device);
    }
    py::list results;
    for (const GradientCheckCase& check : report.cases) {
        py::dict result;
        result["check"] = check.name;
        result["parameters"] = check.parameters;
        result["relative_difference"] = check.relative_difference;
        results.append(result);
    }
    py::dict out;
    out["relative_difference"] = report.worst;
    out["passed"] = report.passed;
    out["lambda"] = lambda;
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
            const Matrix<double> inputs = matrix_from(X, "X");
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
        [](double lambda, const std::string& data_path, int examples, std::uint64_t seed, const std::string& device) {
            return gradient_check(lambda, data_path, examples, seed, device_from(device));
        },
        py::arg("lambda_"), py::arg("data_path"), py::arg("examples"), py::arg("seed"), py::arg("device"));

    m.def("input_buffer_address", &input_buffer_address, py::arg("X"),
          "The address of the buffer the module reads X from (tests of the no-copy rule)");
}

}  // namespace digitnet::python
