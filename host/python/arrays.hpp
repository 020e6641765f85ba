#pragma once
// numpy arrays in and out of the core's types, with the checks a Python user expects: the
// argument named in every message, ValueError for a bad shape or value, TypeError for a bad type.
//
// Inputs: a float32 or float64 array that is C- or F-contiguous is read in place (its buffer is
// the source of the one copy into the core's own storage); any other array (another dtype,
// strided views) or sequence is first converted by numpy to a C-contiguous float64 array.
// Outputs: arrays that own the core's buffers (no copy on the way out).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "digitnet/model/activation.hpp"
#include "digitnet/model/backend.hpp"
#include "digitnet/model/dataset.hpp"
#include "digitnet/model/layout.hpp"
#include "digitnet/model/matrix.hpp"
#include "digitnet/model/model_info.hpp"

namespace digitnet::python {

namespace py = pybind11;

// A 2-D array of finite numbers (examples x features) as a Matrix. `name` is the argument's
// name in messages ("X").
Matrix<double> matrix_from(py::handle object, const char* name);

// Examples X as matrix_from reads them, except that unsigned 8- and 16-bit integers are pixels
// and become [0, 1] (divided by 255 or 65535), as every file reader makes them.
Matrix<double> examples_from(py::handle object, const char* name);

// Labels (m,) or (m, 1), whole numbers >= label_base, as class indices 0..K-1. Sets `classes`
// to the largest class index + 1 (at least 2).
std::vector<int> labels_from(py::handle object, const char* name, int label_base, int& classes);

// X and y as a data set; y's length must match X's rows. classes: 0 to take it from y.
Dataset dataset_from(py::handle X, py::handle y, int label_base, int classes = 0);

// A list of 2-D arrays Theta_1..Theta_L whose shapes chain (Theta_(l+1) has s_l + 1 columns).
Parameters parameters_from(py::handle thetas, const char* name, Activation hidden, Output output);

// The data pointer matrix_from reads from for this object: the array's own buffer when it is
// read in place, else the converted copy's (which is then freed). For tests of the no-copy rule.
std::uintptr_t input_buffer_address(py::handle object);

// A float64 numpy array of `shape` that owns `values` (moved, not copied).
py::array_t<double> owning_array(std::vector<double>&& values, const std::vector<py::ssize_t>& shape);

// Parameters as a list of arrays Theta_1..Theta_L: views into one array that owns the values.
py::list thetas_to_numpy(Parameters&& parameters);

// Class indices as labels (index + label_base), int64.
py::array_t<std::int64_t> labels_to_numpy(const std::vector<int>& classes, int label_base);

// A model's ModelInfo as {"label_base", "image": (rows, cols, "F" | "C") or None, "background", "ink",
// "digit_box": (size, centre row, centre column) or None} and back ("F": column-major, MATLAB's
// order). Whole numbers beyond an int are a ValueError naming the key.
py::dict info_to_dict(const ModelInfo& info);
ModelInfo info_from_dict(const py::dict& info);

// "cpu", "gpu", "auto" / "float", "double" as enums (the Python layer has checked the choice).
Device device_from(const std::string& text);
Precision precision_from(const std::string& text);

}  // namespace digitnet::python
