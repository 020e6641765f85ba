// digitnet._core: the compiled half of the Python package (the other half, digitnet/*.py, gives
// it the article's API and checks the plain arguments). The core's errors become Python's:
// InputError -> ValueError with the same one-line message; UnavailableError, DeviceError and
// TrainingDiverged -> digitnet's own exception classes (subclasses of RuntimeError).
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "digitnet/cpu/cpu_backend.hpp"
#include "digitnet/cuda/cuda_backend.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/model/activation.hpp"

namespace py = pybind11;
using namespace digitnet;

PYBIND11_MODULE(_core, m) {
    m.doc() = "digitnet's compiled core (use the digitnet package, not this module)";
    m.attr("__version__") = DIGITNET_VERSION;
    // The embedded data set in the source tree, for a module imported from the build tree.
    m.attr("source_data_path") = std::string(DIGITNET_SOURCE_DIR) + "/data/digits20.mat";

    py::register_exception<UnavailableError>(m, "UnavailableError", PyExc_RuntimeError);
    py::register_exception<DeviceError>(m, "DeviceError", PyExc_RuntimeError);
    py::register_exception<TrainingDiverged>(m, "TrainingDiverged", PyExc_RuntimeError);
    py::register_exception_translator([](std::exception_ptr error) {
        try {
            if (error) std::rethrow_exception(error);
        } catch (const InputError& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        }
    });

    // The choices of activation= and output=, from the core (activation.hpp).
    m.attr("ACTIVATIONS") = py::tuple(py::cast(activation_names()));
    m.attr("OUTPUTS") = py::tuple(py::cast(output_names()));

    m.def("info", [] {
        py::dict out;
        out["version"] = DIGITNET_VERSION;
        out["cuda_compiled"] = cuda_compiled_in();
        out["blas"] = blas_name();
        const auto gpu = gpu_info();
        if (gpu) {
            py::dict g;
            g["name"] = gpu->name;
            g["compute_capability"] = std::to_string(gpu->compute_major) + "." + std::to_string(gpu->compute_minor);
            g["memory_bytes"] = gpu->total_memory;
            g["free_bytes"] = gpu->free_memory;
            out["gpu"] = g;
        } else {
            out["gpu"] = py::none();
        }
        return out;
    });

    digitnet::python::bind_data(m);
    digitnet::python::bind_compute(m);
    digitnet::python::bind_train(m);
}
