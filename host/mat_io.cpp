// .mat reading and writing through matio. matio hands us column-major arrays of whatever class
// the file holds; everything is checked here and turned into one-line InputErrors naming the file.
#include "digitnet/mat_io.hpp"

#include <matio.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <memory>

#include "digitnet/atomic_file.hpp"
#include "digitnet/errors.hpp"

namespace digitnet {

namespace {

// matio reports problems on stderr through its logger; we report them ourselves, in one line.
void quiet_matio_log(int, char*) {}

struct MatCloser {
    void operator()(mat_t* mat) const { Mat_Close(mat); }
};
struct VarFreer {
    void operator()(matvar_t* var) const { Mat_VarFree(var); }
};
using MatFile = std::unique_ptr<mat_t, MatCloser>;
using MatVar = std::unique_ptr<matvar_t, VarFreer>;

MatFile open_for_reading(const std::string& path) {
    static const bool log_silenced = (Mat_LogInitFunc("digitnet", quiet_matio_log), true);
    (void)log_silenced;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw InputError(path + ": no such file");
    if (std::filesystem::is_directory(path, ec)) throw InputError(path + ": is a directory, not a .mat file");
    if (::access(path.c_str(), R_OK) != 0) throw InputError(path + ": cannot be read (permission denied)");
    MatFile mat(Mat_Open(path.c_str(), MAT_ACC_RDONLY));
    if (!mat) throw InputError(path + ": not a MATLAB .mat file (v5 or v7.3) that matio can read");
    return mat;
}

// A real numeric 2-D matrix as doubles, row-major rows x cols. Returns an empty Matrix when the
// variable is absent (callers decide whether that is an error).
Matrix<double> read_matrix(mat_t* mat, const std::string& path, const char* name) {
    MatVar var(Mat_VarRead(mat, name));
    if (!var) return {};
    const std::string where = path + ": variable " + name;
    if (var->rank != 2) throw InputError(where + " has " + std::to_string(var->rank) + " dimensions, expected a 2-D matrix");
    if (var->isComplex) throw InputError(where + " is complex, expected real numbers");
    if (var->class_type == MAT_C_SPARSE || var->class_type == MAT_C_CELL || var->class_type == MAT_C_STRUCT ||
        var->class_type == MAT_C_CHAR || var->class_type == MAT_C_OBJECT || var->class_type == MAT_C_FUNCTION)
        throw InputError(where + " is not a numeric matrix");
    const std::size_t rows = var->dims[0], cols = var->dims[1];
    if (rows > 0x7fffffff || cols > 0x7fffffff) throw InputError(where + " is too large");
    Matrix<double> out(static_cast<int>(rows), static_cast<int>(cols));
    if (rows * cols == 0) return out;
    if (!var->data) throw InputError(where + " has no data");
    auto convert = [&](auto* data) {
        for (std::size_t c = 0; c < cols; ++c)
            for (std::size_t r = 0; r < rows; ++r)
                out.data[r * cols + c] = static_cast<double>(data[c * rows + r]);  // column-major in
    };
    switch (var->class_type) {
        case MAT_C_DOUBLE: convert(static_cast<const double*>(var->data)); break;
        case MAT_C_SINGLE: convert(static_cast<const float*>(var->data)); break;
        case MAT_C_INT8: convert(static_cast<const std::int8_t*>(var->data)); break;
        case MAT_C_UINT8: convert(static_cast<const std::uint8_t*>(var->data)); break;
        case MAT_C_INT16: convert(static_cast<const std::int16_t*>(var->data)); break;
        case MAT_C_UINT16: convert(static_cast<const std::uint16_t*>(var->data)); break;
        case MAT_C_INT32: convert(static_cast<const std::int32_t*>(var->data)); break;
        case MAT_C_UINT32: convert(static_cast<const std::uint32_t*>(var->data)); break;
        case MAT_C_INT64: convert(static_cast<const std::int64_t*>(var->data)); break;
        case MAT_C_UINT64: convert(static_cast<const std::uint64_t*>(var->data)); break;
        default: throw InputError(where + " has an unsupported numeric class");
    }
    return out;
}

// Labels from an m x 1 (or 1 x m) matrix of whole numbers >= 1.
std::vector<int> read_labels(const Matrix<double>& y, const std::string& where) {
    if (y.rows != 1 && y.cols != 1)
        throw InputError(where + " is " + std::to_string(y.rows) + " x " + std::to_string(y.cols) + ", expected a vector of labels");
    std::vector<int> labels;
    labels.reserve(y.size());
    for (std::size_t i = 0; i < y.size(); ++i) {
        const double v = y.data[i];
        if (!std::isfinite(v) || v != std::floor(v) || v < 1 || v > 1e6)
            throw InputError(where + ": label " + std::to_string(v) + " of example " + std::to_string(i + 1) +
                             " is not a whole number in 1..K");
        labels.push_back(static_cast<int>(v) - 1);
    }
    return labels;
}

Dataset make_dataset(Matrix<double> X, const Matrix<double>& y, const std::string& path, const char* x_name,
                     const char* y_name, int classes) {
    Dataset data;
    data.source = path;
    if (X.rows != static_cast<int>(y.size()))
        throw InputError(path + ": " + x_name + " has " + std::to_string(X.rows) + " examples but " + y_name + " has " +
                         std::to_string(y.size()) + " labels");
    data.labels = read_labels(y, path + ": " + y_name);
    data.X = std::move(X);
    data.label_base = 1;
    data.classes = classes;
    data.image = square_image(data.X.cols, /*column_major=*/true);
    return data;
}

}  // namespace

DataFile load_mat_data(const std::string& path) {
    MatFile mat = open_for_reading(path);
    Matrix<double> X = read_matrix(mat.get(), path, "X");
    Matrix<double> y = read_matrix(mat.get(), path, "y");
    if (X.size() == 0 && X.rows == 0 && X.cols == 0) {
        MatVar probe(Mat_VarReadInfo(mat.get(), "X"));
        if (!probe) throw InputError(path + ": no variable X (the examples, one per row)");
    }
    if (y.rows == 0 && y.cols == 0) {
        MatVar probe(Mat_VarReadInfo(mat.get(), "y"));
        if (!probe) throw InputError(path + ": no variable y (the labels 1..K)");
    }
    if (X.size() == 0) throw InputError(path + ": X is empty");

    int classes = 0;
    for (double v : y.data)
        if (std::isfinite(v) && v >= 1 && v <= 1e6) classes = std::max(classes, static_cast<int>(v));
    classes = std::max(classes, 2);

    DataFile file;
    file.train = make_dataset(std::move(X), y, path, "X", "y", classes);
    validate_dataset(file.train, path);

    Matrix<double> Xtest = read_matrix(mat.get(), path, "Xtest");
    Matrix<double> ytest = read_matrix(mat.get(), path, "ytest");
    const bool has_xtest = Xtest.rows || Xtest.cols, has_ytest = ytest.rows || ytest.cols;
    if (has_xtest != has_ytest) throw InputError(path + ": has " + (has_xtest ? "Xtest but no ytest" : "ytest but no Xtest"));
    if (has_xtest) {
        if (Xtest.cols != file.train.features())
            throw InputError(path + ": Xtest has " + std::to_string(Xtest.cols) + " columns but X has " +
                             std::to_string(file.train.features()));
        file.test = make_dataset(std::move(Xtest), ytest, path, "Xtest", "ytest", classes);
        validate_dataset(*file.test, path + " (test set)");
    }
    return file;
}

Parameters load_weights(const std::string& path) {
    MatFile mat = open_for_reading(path);
    std::vector<Matrix<double>> thetas;
    for (int l = 1;; ++l) {
        const std::string name = "Theta" + std::to_string(l);
        Matrix<double> theta = read_matrix(mat.get(), path, name.c_str());
        if (theta.rows == 0 && theta.cols == 0) break;
        thetas.push_back(std::move(theta));
    }
    if (thetas.empty()) throw InputError(path + ": no Theta1 (a weights file holds Theta1..ThetaL)");
    std::vector<int> sizes{thetas[0].cols - 1};
    for (std::size_t l = 0; l < thetas.size(); ++l) {
        const Matrix<double>& t = thetas[l];
        if (t.rows < 1 || t.cols < 2)
            throw InputError(path + ": Theta" + std::to_string(l + 1) + " is " + std::to_string(t.rows) + " x " +
                             std::to_string(t.cols) + ", too small for a layer");
        if (t.cols != sizes.back() + 1)
            throw InputError(path + ": Theta" + std::to_string(l + 1) + " has " + std::to_string(t.cols) +
                             " columns but the layer below has " + std::to_string(sizes.back()) + " units (expected " +
                             std::to_string(sizes.back() + 1) + ")");
        sizes.push_back(t.rows);
    }
    Layout layout;
    layout.sizes = sizes;
    Parameters p(layout);
    for (int l = 1; l <= layout.layers(); ++l) {
        const auto& t = thetas[static_cast<std::size_t>(l - 1)];
        for (double v : t.data)
            if (!std::isfinite(v)) throw InputError(path + ": Theta" + std::to_string(l) + " has a non-finite value");
        std::copy(t.data.begin(), t.data.end(), p.theta(l).begin());
    }
    return p;
}

void save_weights(const std::string& path, const Parameters& parameters, const std::string& suffix) {
    check_writable(path, "the output");
    write_atomically(path, [&](const std::string& temporary) {
        MatFile mat(Mat_CreateVer(temporary.c_str(), nullptr, MAT_FT_MAT5));
        if (!mat) throw InputError(path + ": cannot create the file");
        const Layout& layout = parameters.layout;
        for (int l = 1; l <= layout.layers(); ++l) {
            // matio wants column-major data; Parameters are row-major.
            const int rows = layout.theta_rows(l), cols = layout.theta_cols(l);
            std::vector<double> column_major(layout.theta_size(l));
            for (int r = 0; r < rows; ++r)
                for (int c = 0; c < cols; ++c) column_major[static_cast<std::size_t>(c) * rows + r] = parameters.at(l, r, c);
            std::size_t dims[2] = {static_cast<std::size_t>(rows), static_cast<std::size_t>(cols)};
            const std::string name = "Theta" + std::to_string(l) + suffix;
            MatVar var(Mat_VarCreate(name.c_str(), MAT_C_DOUBLE, MAT_T_DOUBLE, 2, dims, column_major.data(),
                                     MAT_F_DONT_COPY_DATA));
            if (!var || Mat_VarWrite(mat.get(), var.get(), MAT_COMPRESSION_ZLIB) != 0)
                throw InputError(path + ": cannot write " + name + " (disk full?)");
        }
    });
}

}  // namespace digitnet
