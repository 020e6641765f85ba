#pragma once
// The parts of the module digitnet._core, one file each (module.cpp puts them together).
#include <pybind11/pybind11.h>

namespace digitnet::python {

namespace py = pybind11;

void bind_data(py::module_& m);     // bind_data.cpp: data sets and model files
void bind_compute(py::module_& m);  // bind_compute.cpp: cost and gradient, outputs, initialisation, gradcheck
void bind_train(py::module_& m);    // bind_train.cpp: training runs

}  // namespace digitnet::python
