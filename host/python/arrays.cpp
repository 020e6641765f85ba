#include "arrays.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

namespace digitnet::python {

namespace {

// At most this many classes: a stray huge label must not make a network of a billion outputs.
constexpr double kMaxClasses = 65536;

std::string shape_text(const py::array& a) {
    std::string text = "(";
    for (py::ssize_t d = 0; d < a.ndim(); ++d) text += (d ? ", " : "") + std::to_string(a.shape(d));
    return text + (a.ndim() == 1 ? ",)" : ")");
}

std::string dtype_text(const py::array& a) { return py::str(a.dtype()).cast<std::string>(); }

// numpy.asarray(object): arrays as they are, sequences converted. TypeError unless it holds
// numbers (bool, integer or floating point).
py::array numeric_array(py::handle object, const char* name, const char* what) {
    py::array a = py::array::ensure(object);
    if (!a) {
        PyErr_Clear();
        throw py::type_error(std::string(name) + ": expected " + what + ", got " +
                             py::str(py::type::handle_of(object).attr("__name__")).cast<std::string>());
    }
    const char kind = a.dtype().kind();
    if (kind != 'b' && kind != 'i' && kind != 'u' && kind != 'f') {
        const std::string got = kind == 'O' ? py::str(py::type::handle_of(object).attr("__name__")).cast<std::string>()
                                            : "dtype " + dtype_text(a);
        throw py::type_error(std::string(name) + ": expected " + what + ", got " + got);
    }
    return a;
}

bool contiguous(const py::array& a) { return (a.flags() & (py::array::c_style | py::array::f_style)) != 0; }

// float32 or float64 in the machine's byte order, C- or F-contiguous: read where it lies.
bool readable_in_place(const py::array& a) {
    return (py::isinstance<py::array_t<float>>(a) || py::isinstance<py::array_t<double>>(a)) && contiguous(a);
}

template <class T>
void copy_checked(const py::array& a, Matrix<double>& out, const char* name) {
    const T* data = static_cast<const T*>(a.data());
    const bool fortran = (a.flags() & py::array::c_style) == 0;
    const std::size_t rows = static_cast<std::size_t>(out.rows), cols = static_cast<std::size_t>(out.cols);
    for (std::size_t r = 0; r < rows; ++r) {
        double* row = out.row(static_cast<int>(r));
        for (std::size_t c = 0; c < cols; ++c)
            row[c] = static_cast<double>(fortran ? data[c * rows + r] : data[r * cols + c]);
    }
    for (std::size_t i = 0; i < out.data.size(); ++i) {
        if (!std::isfinite(out.data[i]))
            throw py::value_error(std::string(name) + ": " + (std::isnan(out.data[i]) ? "a NaN" : "an infinite value") +
                                  " at row " + std::to_string(i / cols + 1) + ", column " +
                                  std::to_string(i % cols + 1));
    }
}

}  // namespace

Matrix<double> matrix_from(py::handle object, const char* name) {
    py::array a = numeric_array(object, name, "a 2-D array of numbers");
    if (a.ndim() != 2)
        throw py::value_error(std::string(name) + ": expected a 2-D array (examples x features), got shape " +
                              shape_text(a) + (a.ndim() == 1 ? "; HINT: one example is x.reshape(1, -1)" : ""));
    if (a.shape(0) == 0 || a.shape(1) == 0)
        throw py::value_error(std::string(name) + ": is empty (shape " + shape_text(a) + ")");
    if (a.shape(0) > INT32_MAX || a.shape(1) > INT32_MAX)
        throw py::value_error(std::string(name) + ": too large, shape " + shape_text(a));
    if (!readable_in_place(a)) a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(a);
    Matrix<double> out(static_cast<int>(a.shape(0)), static_cast<int>(a.shape(1)));
    if (py::isinstance<py::array_t<float>>(a))
        copy_checked<float>(a, out, name);
    else
        copy_checked<double>(a, out, name);
    return out;
}

Matrix<double> examples_from(py::handle object, const char* name) {
    py::array a = numeric_array(object, name, "a 2-D array of numbers");
    const bool bytes = py::isinstance<py::array_t<std::uint8_t>>(a),
               words = py::isinstance<py::array_t<std::uint16_t>>(a);
    Matrix<double> out = matrix_from(a, name);
    if (bytes || words) {
        const double scale = bytes ? 1.0 / 255.0 : 1.0 / 65535.0;
        for (double& v : out.data) v *= scale;
    }
    return out;
}

std::uintptr_t input_buffer_address(py::handle object) {
    py::array a = numeric_array(object, "X", "an array of numbers");
    if (!readable_in_place(a)) a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(a);
    return reinterpret_cast<std::uintptr_t>(a.data());
}

std::vector<int> labels_from(py::handle object, const char* name, int label_base, int& classes) {
    py::array a = numeric_array(object, name, "an array of whole-number labels");
    if (!(a.ndim() == 1 || (a.ndim() == 2 && a.shape(1) == 1)))
        throw py::value_error(std::string(name) + ": expected labels of shape (m,) or (m, 1), got shape " +
                              shape_text(a));
    auto values = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(a);
    const double* data = values.data();
    std::vector<int> labels(static_cast<std::size_t>(a.shape(0)));
    int largest = 0;
    for (std::size_t i = 0; i < labels.size(); ++i) {
        const double label = data[i];
        const bool whole = std::isfinite(label) && label == std::floor(label);
        if (!whole || label < label_base || label - label_base >= kMaxClasses) {
            const std::string where = std::string(name) + ": label " + py::str(py::float_(label)).cast<std::string>() +
                                      " of example " + std::to_string(i + 1);
            if (!whole) throw py::value_error(where + " is not a whole number");
            if (label < label_base)
                throw py::value_error(where + " is below label_base " + std::to_string(label_base) +
                                      " (labels run from label_base: 1 for ex4 files, where 10 is the digit 0; "
                                      "pass label_base=0 for labels 0..K-1)");
            throw py::value_error(where + " is too large (at most " + std::to_string(int(kMaxClasses)) + " classes)");
        }
        labels[i] = static_cast<int>(label) - label_base;
        largest = std::max(largest, labels[i]);
    }
    classes = std::max(largest + 1, 2);
    return labels;
}

Dataset dataset_from(py::handle X, py::handle y, int label_base, int classes) {
    Dataset data;
    data.X = examples_from(X, "X");
    int found_classes = 0;
    data.labels = labels_from(y, "y", label_base, found_classes);
    if (data.labels.size() != static_cast<std::size_t>(data.X.rows))
        throw py::value_error("y: has " + std::to_string(data.labels.size()) + " labels but X has " +
                              std::to_string(data.X.rows) + " examples");
    data.classes = classes > 0 ? classes : found_classes;
    data.label_base = label_base;
    data.image = square_image(data.X.cols, true);
    data.source = "X";
    validate_dataset(data, "X, y");
    return data;
}

Parameters parameters_from(py::handle thetas, const char* name, Activation hidden, Output output) {
    if (py::isinstance<py::array>(thetas) || !py::isinstance<py::sequence>(thetas) || py::isinstance<py::str>(thetas))
        throw py::type_error(std::string(name) + ": expected a list of 2-D arrays [Theta1, ..., ThetaL], got " +
                             py::str(py::type::handle_of(thetas).attr("__name__")).cast<std::string>());
    const py::sequence sequence = py::reinterpret_borrow<py::sequence>(thetas);
    if (sequence.size() == 0) throw py::value_error(std::string(name) + ": is empty; expected [Theta1, ..., ThetaL]");
    std::vector<Matrix<double>> matrices;
    Layout layout;
    layout.hidden = hidden;
    layout.output = output;
    for (std::size_t l = 0; l < sequence.size(); ++l) {
        const std::string element = std::string(name) + "[" + std::to_string(l) + "]";
        Matrix<double> theta = matrix_from(sequence[l], element.c_str());
        if (l == 0) {
            if (theta.cols < 2)
                throw py::value_error(element + ": has " + std::to_string(theta.cols) +
                                      " column; Theta1 needs a bias column plus one per input");
            layout.sizes.push_back(theta.cols - 1);
        } else if (theta.cols != layout.sizes.back() + 1) {
            throw py::value_error(element + ": has " + std::to_string(theta.cols) + " columns but " + name + "[" +
                                  std::to_string(l - 1) + "] has " + std::to_string(layout.sizes.back()) +
                                  " rows, so " + std::to_string(layout.sizes.back() + 1) +
                                  " were expected (a bias column plus one per unit)");
        }
        layout.sizes.push_back(theta.rows);
        matrices.push_back(std::move(theta));
    }
    Parameters parameters(layout);
    for (int l = 1; l <= layout.layers(); ++l) {
        const auto& values = matrices[static_cast<std::size_t>(l - 1)].data;
        std::copy(values.begin(), values.end(), parameters.theta(l).begin());
    }
    return parameters;
}

py::array_t<double> owning_array(std::vector<double>&& values, const std::vector<py::ssize_t>& shape) {
    auto* holder = new std::vector<double>(std::move(values));
    py::capsule owner(holder, [](void* p) { delete static_cast<std::vector<double>*>(p); });
    return py::array_t<double>(shape, holder->data(), owner);
}

py::list thetas_to_numpy(Parameters&& parameters) {
    const Layout layout = parameters.layout;
    py::array_t<double> flat =
        owning_array(std::move(parameters.values), {static_cast<py::ssize_t>(layout.parameter_count())});
    py::list thetas;
    for (int l = 1; l <= layout.layers(); ++l) {
        const py::ssize_t rows = layout.theta_rows(l), cols = layout.theta_cols(l);
        thetas.append(py::array_t<double>({rows, cols},
                                          {cols * py::ssize_t(sizeof(double)), py::ssize_t(sizeof(double))},
                                          flat.data() + layout.theta_offset(l), flat));
    }
    return thetas;
}

py::array_t<std::int64_t> labels_to_numpy(const std::vector<int>& classes, int label_base) {
    py::array_t<std::int64_t> labels(static_cast<py::ssize_t>(classes.size()));
    std::int64_t* out = labels.mutable_data();
    for (std::size_t i = 0; i < classes.size(); ++i) out[i] = classes[i] + label_base;
    return labels;
}

py::dict info_to_dict(const ModelInfo& info) {
    py::dict out;
    out["label_base"] = info.label_base;
    if (info.image.rows > 0)
        out["image"] = py::make_tuple(info.image.rows, info.image.cols, info.image.column_major ? "F" : "C");
    else
        out["image"] = py::none();
    out["background"] = info.background;
    out["ink"] = info.ink;
    if (info.digit_box > 0)
        out["digit_box"] = py::make_tuple(info.digit_box, info.centre_row, info.centre_col);
    else
        out["digit_box"] = py::none();
    return out;
}

namespace {

// A whole number that fits an int, else ValueError naming it (pybind11's own message names nothing).
int int_from(py::handle value, const std::string& name) {
    if (py::isinstance<py::bool_>(value) || !PyIndex_Check(value.ptr()))
        throw py::type_error(name + ": expected an integer, got " +
                             py::str(py::type::handle_of(value).attr("__name__")).cast<std::string>());
    const py::int_ number = py::reinterpret_steal<py::int_>(PyNumber_Index(value.ptr()));
    const long long v = PyLong_AsLongLong(number.ptr());
    if ((v == -1 && PyErr_Occurred()) || v < INT32_MIN || v > INT32_MAX) {
        PyErr_Clear();
        throw py::value_error(name + ": must be between -2^31 and 2^31 - 1, got " +
                              py::str(py::handle(number)).cast<std::string>());
    }
    return static_cast<int>(v);
}

}  // namespace

ModelInfo info_from_dict(const py::dict& info) {
    ModelInfo out;
    out.label_base = int_from(info["label_base"], "label_base");
    if (!info["image"].is_none()) {
        const auto image = info["image"].cast<py::tuple>();
        out.image = {int_from(image[0], "image[0]"), int_from(image[1], "image[1]"),
                     image[2].cast<std::string>() == "F"};
    }
    out.background = info["background"].cast<double>();
    out.ink = info["ink"].cast<double>();
    if (info.contains("digit_box") && !info["digit_box"].is_none()) {
        const auto box = info["digit_box"].cast<py::tuple>();
        if (box.size() != 3) throw py::value_error("digit_box: expected (size, centre row, centre column)");
        out.digit_box = box[0].cast<double>();
        out.centre_row = box[1].cast<double>();
        out.centre_col = box[2].cast<double>();
    } else if (out.image.rows > 0) {
        // As a file without the variable is read: MNIST's box (model_info.hpp).
        out.digit_box = std::min(out.image.rows, out.image.cols) * 20.0 / 28.0;
        out.centre_row = out.image.rows / 2.0;
        out.centre_col = out.image.cols / 2.0;
    }
    return out;
}

Device device_from(const std::string& text) {
    return text == "cpu" ? Device::Cpu : text == "gpu" ? Device::Gpu : Device::Auto;
}

// The names are checked on the Python side (_checks.py) first, with the same choices as --precision.
Precision precision_from(const std::string& text) { return parse_precision(text); }

}  // namespace digitnet::python
