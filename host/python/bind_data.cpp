// Data sets and model files: the io library's readers and writers, with numpy arrays.
#include <pybind11/stl.h>

#include "arrays.hpp"
#include "bindings.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/io/data_loader.hpp"
#include "digitnet/io/mat_io.hpp"
#include "digitnet/io/model_file.hpp"
#include "digitnet/run/checks.hpp"

namespace digitnet::python {

namespace {

// {"X": (m, n) float64, "y": (m,) int64 labels as the file writes them, "classes", "label_base",
// "image": (rows, cols, "F" | "C") or None, "source"}. X owns the loader's buffer.
py::dict dataset_to_dict(Dataset&& data) {
    py::dict out;
    const py::ssize_t rows = data.X.rows, cols = data.X.cols;
    out["y"] = labels_to_numpy(data.labels, data.label_base);
    out["X"] = owning_array(std::move(data.X.data), {rows, cols});
    out["classes"] = data.classes;
    out["label_base"] = data.label_base;
    if (data.image.rows > 0)
        out["image"] = py::make_tuple(data.image.rows, data.image.cols, data.image.column_major ? "F" : "C");
    else
        out["image"] = py::none();
    out["source"] = data.source;
    return out;
}

}  // namespace

// Every data file this process has read: Model.save refuses to write over any of them (with the
// embedded data set, which the run layer always protects).
std::vector<NamedPath>& data_files_read() {
    static std::vector<NamedPath> files;
    return files;
}

void bind_data(py::module_& m) {
    m.def(
        "load_data",
        [](const std::string& path, const std::string& test_path) {
            DataFile file;
            run::check_readable_input(path, "path");
            if (!test_path.empty()) run::check_readable_input(test_path, "test_path");
            data_files_read().push_back({"read by load_data", path});
            if (!test_path.empty()) data_files_read().push_back({"read by load_data", test_path});
            {
                py::gil_scoped_release release;
                file = load_data(path);
                if (!test_path.empty()) file.test = load_test_data(test_path, file.train);
            }
            py::dict out;
            out["train"] = dataset_to_dict(std::move(file.train));
            out["test"] = file.test ? py::object(dataset_to_dict(std::move(*file.test))) : py::object(py::none());
            return out;
        },
        py::arg("path"), py::arg("test_path") = "");

    m.def(
        "save_model",
        [](const std::string& path, py::handle thetas, const std::string& activation, const std::string& output,
           const py::dict& info, const std::string& dtype) {
            const Parameters parameters = parameters_from(thetas, "thetas", parse_activation(activation, "activation"),
                                                          parse_output(output, "output"));
            const ModelFile model{parameters, info_from_dict(info)};
            ModelWriteOptions options;  // by path's extension: .mat, .safetensors, .npz (float32 or float64), .onnx
            options.tensors = parse_tensor_type(dtype, "dtype");
            py::gil_scoped_release release;
            run::write_model(path, "path", model, data_files_read(), options);
        },
        py::arg("path"), py::arg("thetas"), py::arg("activation"), py::arg("output"), py::arg("info"),
        py::arg("dtype") = "float32");

    m.def(
        "load_model",
        [](const std::string& path, const std::string& activation, const std::string& output, int label_base) {
            // For a file without digitnet's metadata (model_file.hpp): "" and -1 leave the seed's.
            ModelAssumptions assumptions;
            if (!activation.empty()) assumptions.hidden = parse_activation(activation, "activation");
            if (!output.empty()) assumptions.output = parse_output(output, "output");
            if (label_base != -1) {
                if (label_base != 0 && label_base != 1)
                    throw InputError("label_base must be 0 or 1, got " + std::to_string(label_base));
                assumptions.label_base = label_base;
            }
            ModelFile model;
            {
                py::gil_scoped_release release;
                model = run::read_model(path, "path", assumptions);
            }
            Parameters& parameters = model.parameters;
            const ModelInfo& info = model.info;
            py::dict out;
            out["activation"] = to_string(parameters.layout.hidden);
            out["output"] = to_string(parameters.layout.output);
            out["info"] = info_to_dict(info);
            out["thetas"] = thetas_to_numpy(std::move(parameters));
            return out;
        },
        py::arg("path"), py::arg("activation") = "", py::arg("output") = "", py::arg("label_base") = -1);

    // Labels y against a model's label convention (Model.accuracy): the run layer's check.
    m.def(
        "check_labels",
        [](int label_base, int classes, const std::vector<long long>& labels) {
            run::check_labels_meet_model(label_base, classes, labels, "y");
        },
        py::arg("label_base"), py::arg("classes"), py::arg("labels"));
}

}  // namespace digitnet::python
