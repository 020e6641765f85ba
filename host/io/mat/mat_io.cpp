// .mat reading and writing through matio. matio hands us column-major arrays of whatever class
// the file holds; everything is checked here and turned into one-line InputErrors naming the file.
#include "digitnet/io/mat_io.hpp"

#include <matio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>

#include "digitnet/errors.hpp"
#include "digitnet/io/safe_output.hpp"
#include "mat_file_check.hpp"

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
    check_mat_file(path);  // before matio trusts the sizes in its headers (mat_file_check.hpp)
    MatFile mat(Mat_Open(path.c_str(), MAT_ACC_RDONLY));
    if (!mat) throw InputError(path + ": not a MATLAB .mat file (v5 or v7.3) that matio can read");
    return mat;
}

// Deflate (zlib, used by compressed v5 and by v7.3 files) packs at most about 1032 bytes into one,
// and every element takes at least one byte uncompressed: a variable of more elements than this
// many times the file's size cannot be real.
constexpr std::uint64_t max_elements_per_file_byte = 1100;

// Checks a variable's header (from Mat_VarReadInfo or Mat_VarRead): a real numeric 2-D matrix whose
// size the file can hold. Returns rows * cols.
std::uint64_t check_header(const matvar_t& var, const std::string& where, std::uint64_t file_bytes) {
    if (var.rank != 2 || !var.dims)
        throw InputError(where + " has " + std::to_string(var.rank) + " dimensions, expected a 2-D matrix");
    if (var.isComplex) throw InputError(where + " is complex, expected real numbers");
    if (var.class_type == MAT_C_SPARSE || var.class_type == MAT_C_CELL || var.class_type == MAT_C_STRUCT ||
        var.class_type == MAT_C_CHAR || var.class_type == MAT_C_OBJECT || var.class_type == MAT_C_FUNCTION)
        throw InputError(where + " is not a numeric matrix");
    const std::uint64_t rows = var.dims[0], cols = var.dims[1];
    if (rows > 0x7fffffff || cols > 0x7fffffff) throw InputError(where + " is too large");
    const std::uint64_t elements = rows * cols;  // < 2^62
    if (elements / max_elements_per_file_byte > file_bytes)
        throw InputError(where + " claims " + std::to_string(rows) + " x " + std::to_string(cols) +
                         " values, more than a file of " + std::to_string(file_bytes) +
                         " bytes can hold (a damaged file?)");
    return elements;
}

// How a matrix's values become doubles: as they are, or as pixels, where unsigned 8- and 16-bit
// integers (0..255, 0..65535) become [0, 1] as IDX and CSV bytes do.
enum class Values { AsStored, Pixels };

double pixel_scale(matio_classes class_type) {
    if (class_type == MAT_C_UINT8) return 1.0 / 255.0;
    if (class_type == MAT_C_UINT16) return 1.0 / 65535.0;
    return 1.0;
}

// A real numeric 2-D matrix as doubles, row-major rows x cols. Returns an empty Matrix when the
// variable is absent (callers decide whether that is an error).
Matrix<double> read_matrix(mat_t* mat, const std::string& path, const char* name, Values values = Values::AsStored) {
    // matio allocates whatever a variable's header claims before it reads the data, so a file of
    // a few hundred bytes could make it ask for gigabytes (found by fuzz_mat_data): the header is
    // read and checked first (Mat_VarReadInfo reads no data), then the variable.
    const std::string where = path + ": variable " + name;
    std::error_code ec;
    const std::uint64_t file_bytes = std::filesystem::file_size(path, ec);
    if (ec) throw InputError(path + ": cannot be read (" + ec.message() + ")");
    {
        MatVar info(Mat_VarReadInfo(mat, name));
        if (!info) return {};
        check_header(*info, where, file_bytes);
    }
    if (Mat_GetVersion(mat) == MAT_FT_MAT73) check_mat73_variable(path, name, file_bytes);  // libhdf5's buffers
    MatVar var(Mat_VarRead(mat, name));
    if (!var) throw InputError(where + " cannot be read (a damaged file?)");
    const std::uint64_t elements = check_header(*var, where, file_bytes);
    const std::size_t rows = var->dims[0], cols = var->dims[1];
    Matrix<double> out(static_cast<int>(rows), static_cast<int>(cols));
    if (elements == 0) return out;
    const std::size_t element_bytes = Mat_SizeOfClass(var->class_type);  // 0 for classes we do not read
    if (element_bytes == 0) throw InputError(where + " has an unsupported numeric class");
    if (!var->data || var->nbytes / element_bytes < elements)
        throw InputError(where + " holds fewer values than its dimensions say (a damaged file?)");
    const double scale = values == Values::Pixels ? pixel_scale(var->class_type) : 1.0;
    auto convert = [&](auto* data) {
        for (std::size_t c = 0; c < cols; ++c)
            for (std::size_t r = 0; r < rows; ++r)
                out.data[r * cols + c] = static_cast<double>(data[c * rows + r]) * scale;  // column-major in
    };
    switch (var->class_type) {
        case MAT_C_DOUBLE:
            convert(static_cast<const double*>(var->data));
            break;
        case MAT_C_SINGLE:
            convert(static_cast<const float*>(var->data));
            break;
        case MAT_C_INT8:
            convert(static_cast<const std::int8_t*>(var->data));
            break;
        case MAT_C_UINT8:
            convert(static_cast<const std::uint8_t*>(var->data));
            break;
        case MAT_C_INT16:
            convert(static_cast<const std::int16_t*>(var->data));
            break;
        case MAT_C_UINT16:
            convert(static_cast<const std::uint16_t*>(var->data));
            break;
        case MAT_C_INT32:
            convert(static_cast<const std::int32_t*>(var->data));
            break;
        case MAT_C_UINT32:
            convert(static_cast<const std::uint32_t*>(var->data));
            break;
        case MAT_C_INT64:
            convert(static_cast<const std::int64_t*>(var->data));
            break;
        case MAT_C_UINT64:
            convert(static_cast<const std::uint64_t*>(var->data));
            break;
        default:
            throw InputError(where + " has an unsupported numeric class");
    }
    return out;
}

// Labels from an m x 1 (or 1 x m) matrix of whole numbers >= 1.
std::vector<int> read_labels(const Matrix<double>& y, const std::string& where) {
    if (y.rows != 1 && y.cols != 1)
        throw InputError(where + " is " + std::to_string(y.rows) + " x " + std::to_string(y.cols) +
                         ", expected a vector of labels");
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
    Matrix<double> X = read_matrix(mat.get(), path, "X", Values::Pixels);
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

    Matrix<double> Xtest = read_matrix(mat.get(), path, "Xtest", Values::Pixels);
    Matrix<double> ytest = read_matrix(mat.get(), path, "ytest");
    const bool has_xtest = Xtest.rows || Xtest.cols, has_ytest = ytest.rows || ytest.cols;
    if (has_xtest != has_ytest)
        throw InputError(path + ": has " + (has_xtest ? "Xtest but no ytest" : "ytest but no Xtest"));
    if (has_xtest) {
        if (Xtest.cols != file.train.features())
            throw InputError(path + ": Xtest has " + std::to_string(Xtest.cols) + " columns but X has " +
                             std::to_string(file.train.features()));
        file.test = make_dataset(std::move(Xtest), ytest, path, "Xtest", "ytest", classes);
        validate_dataset(*file.test, path + " (test set)");
    }
    return file;
}

namespace {
// The L of every variable named ThetaL in the file.
std::set<int> theta_numbers(mat_t* mat) {
    std::set<int> numbers;
    Mat_Rewind(mat);
    while (MatVar var{Mat_VarReadNextInfo(mat)}) {
        const char* name = var->name;
        if (!name || std::strncmp(name, "Theta", 5) != 0 || name[5] < '1' || name[5] > '9') continue;
        bool digits = true;
        for (const char* c = name + 5; *c; ++c) digits = digits && *c >= '0' && *c <= '9';
        if (digits && std::strlen(name + 5) < 9) numbers.insert(std::atoi(name + 5));
    }
    Mat_Rewind(mat);
    return numbers;
}
}  // namespace

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
    // Theta1, Theta3 without Theta2 is not a network of one layer: a gap is a damaged file.
    for (int number : theta_numbers(mat.get()))
        if (number > static_cast<int>(thetas.size()))
            throw InputError(path + ": has Theta" + std::to_string(number) + " but no Theta" +
                             std::to_string(thetas.size() + 1) + "; a model's layers are Theta1..ThetaL without gaps");
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
    // A file that records its layout (digitnet saves it last) must agree with its Thetas.
    const Matrix<double> recorded = read_matrix(mat.get(), path, "digitnet_layout");
    if (recorded.size() > 0 &&
        (recorded.size() != sizes.size() || !std::equal(sizes.begin(), sizes.end(), recorded.data.begin())))
        throw InputError(path + ": its digitnet_layout does not match the layers Theta1..Theta" +
                         std::to_string(thetas.size()) + " (a damaged or edited file?)");
    Layout layout;
    layout.sizes = sizes;
    // digitnet_activation: [hidden, output] as the codes of activation.hpp (0 sigmoid, 1 tanh,
    // 2 relu; 0 sigmoid, 1 softmax). Files without it (ex4weights.mat, older models) are the seed's
    // sigmoid network.
    const Matrix<double> codes = read_matrix(mat.get(), path, "digitnet_activation");
    if (codes.size() != 0) {
        const auto code = [](double v, int most) {
            return std::isfinite(v) && v == std::floor(v) && v >= 0 && v <= most;
        };
        if (codes.size() != 2 || !code(codes.data[0], kActivationCount - 1) || !code(codes.data[1], kOutputCount - 1))
            throw InputError(
                path + ": digitnet_activation must be [hidden 0..2, output 0..1] (sigmoid/tanh/relu, sigmoid/softmax)");
        layout.hidden = static_cast<Activation>(static_cast<int>(codes.data[0]));
        layout.output = static_cast<Output>(static_cast<int>(codes.data[1]));
    }
    Parameters p(layout);
    for (int l = 1; l <= layout.layers(); ++l) {
        const auto& t = thetas[static_cast<std::size_t>(l - 1)];
        for (double v : t.data)
            if (!std::isfinite(v)) throw InputError(path + ": Theta" + std::to_string(l) + " has a non-finite value");
        std::copy(t.data.begin(), t.data.end(), p.theta(l).begin());
    }
    return p;
}

ModelInfo load_model_info(const std::string& path, int inputs) {
    MatFile mat = open_for_reading(path);
    ModelInfo info = default_model_info(inputs);
    const Matrix<double> base = read_matrix(mat.get(), path, "digitnet_label_base");
    const Matrix<double> image = read_matrix(mat.get(), path, "digitnet_image");
    const Matrix<double> levels = read_matrix(mat.get(), path, "digitnet_pixel_levels");
    const Matrix<double> digit = read_matrix(mat.get(), path, "digitnet_digit_box");
    const Matrix<double> stroke = read_matrix(mat.get(), path, "digitnet_stroke_width");
    // Whole numbers in range before any conversion to int: a NaN or 1e300 here was undefined
    // behaviour (found by fuzz_mat_data under UBSan).
    const auto whole = [](double v, double most) {
        return std::isfinite(v) && v == std::floor(v) && v >= 0 && v <= most;
    };
    if (base.size() == 1) {
        if (!whole(base.data[0], 1))
            throw InputError(path + ": digitnet_label_base is " + std::to_string(base.data[0]) +
                             ", expected 1 (labels 1..K, the ex4 convention) or 0 (labels are the digits)");
        info.label_base = static_cast<int>(base.data[0]);
    }
    if (image.size() == 3) {
        if (!whole(image.data[0], 65535) || !whole(image.data[1], 65535) || !whole(image.data[2], 1))
            throw InputError(path + ": digitnet_image says " + std::to_string(image.data[0]) + " x " +
                             std::to_string(image.data[1]) + ", expected whole numbers of pixels");
        const int rows = static_cast<int>(image.data[0]), cols = static_cast<int>(image.data[1]);
        if (static_cast<long long>(rows) * cols != inputs && rows != 0)
            throw InputError(path + ": digitnet_image says " + std::to_string(rows) + " x " + std::to_string(cols) +
                             " but the model takes " + std::to_string(inputs) + " inputs");
        info.image = {rows, cols, image.data[2] != 0};
    }
    if (levels.size() == 2) {
        info.background = levels.data[0];
        info.ink = levels.data[1];
        if (!std::isfinite(info.background) || !std::isfinite(info.ink) || info.background == info.ink)
            throw InputError(path + ": digitnet_pixel_levels must be two different finite numbers");
    }
    if (digit.size() == 3 && info.image.rows > 0) {
        const auto inside = [](double v, int most) { return std::isfinite(v) && v > 0 && v <= most; };
        if (!inside(digit.data[0], std::max(info.image.rows, info.image.cols)) ||
            !inside(digit.data[1], info.image.rows) || !inside(digit.data[2], info.image.cols))
            throw InputError(path + ": digitnet_digit_box must be a size and a centre (row, column) inside the image");
        info.digit_box = digit.data[0];
        info.centre_row = digit.data[1];
        info.centre_col = digit.data[2];
    } else if (info.image.rows > 0 && image.size() == 3) {
        // An older digitnet model: the image shape is recorded, the digit box is MNIST's.
        info.digit_box = std::min(info.image.rows, info.image.cols) * 20.0 / 28.0;
        info.centre_row = info.image.rows / 2.0;
        info.centre_col = info.image.cols / 2.0;
    }
    if (stroke.size() == 1 && info.digit_box > 0) {
        if (!std::isfinite(stroke.data[0]) || stroke.data[0] <= 0 || stroke.data[0] > info.digit_box)
            throw InputError(path + ": digitnet_stroke_width must be a width in pixels inside the digit box");
        info.stroke_width = stroke.data[0];
    }
    return info;
}

bool mat_has_variable(const std::string& path, const std::string& name) {
    MatFile mat = open_for_reading(path);
    return MatVar(Mat_VarReadInfo(mat.get(), name.c_str())) != nullptr;
}

namespace {

// One variable of a file to write: doubles, column-major, as MATLAB stores them.
struct OutputVariable {
    std::string name;
    std::size_t rows = 0, cols = 0;
    std::vector<double> column_major;
    matio_compression compression = MAT_COMPRESSION_NONE;
};

bool reads_back_as(mat_t* mat, const OutputVariable& v) {
    MatVar var(Mat_VarRead(mat, v.name.c_str()));
    const std::size_t bytes = v.column_major.size() * sizeof(double);
    return var && var->rank == 2 && var->dims[0] == v.rows && var->dims[1] == v.cols &&
           var->class_type == MAT_C_DOUBLE && !var->isComplex && var->nbytes == bytes &&
           (bytes == 0 || std::memcmp(var->data, v.column_major.data(), bytes) == 0);
}

// The bytes of a MATLAB v5 file holding the variables. matio ignores what its writes return, so
// it writes into a scratch file in memory, which is read back and compared before a byte goes to
// the real file (through write_output_file, which checks every call).
std::string encode_mat(const std::string& path, const std::vector<OutputVariable>& variables) {
    return bytes_written_by(path, [&](const std::string& scratch) {
        {
            errno = 0;
            MatFile mat(Mat_CreateVer(scratch.c_str(), nullptr, MAT_FT_MAT5));
            if (!mat) throw OutputError(path + ": matio cannot create the file (" + std::strerror(errno) + ")");
            for (const OutputVariable& v : variables) {
                std::size_t dims[2] = {v.rows, v.cols};
                MatVar var(Mat_VarCreate(v.name.c_str(), MAT_C_DOUBLE, MAT_T_DOUBLE, 2, dims,
                                         const_cast<double*>(v.column_major.data()), MAT_F_DONT_COPY_DATA));
                if (!var || Mat_VarWrite(mat.get(), var.get(), v.compression) != 0)
                    throw OutputError(path + ": matio cannot write " + v.name);
            }
        }
        MatFile back(Mat_Open(scratch.c_str(), MAT_ACC_RDONLY));
        for (const OutputVariable& v : variables)
            if (!back || !reads_back_as(back.get(), v))
                throw OutputError(path + ": what matio wrote does not read back as " + v.name +
                                  " (out of memory?); nothing was written");
    });
}

}  // namespace

void save_weights(const std::string& path, const Parameters& parameters, const std::string& suffix,
                  const ModelInfo* info) {
    check_output_path(path, "the output");
    std::vector<OutputVariable> variables;
    const Layout& layout = parameters.layout;
    for (int l = 1; l <= layout.layers(); ++l) {
        // matio wants column-major data; Parameters are row-major.
        const int rows = layout.theta_rows(l), cols = layout.theta_cols(l);
        OutputVariable v{"Theta" + std::to_string(l) + suffix, static_cast<std::size_t>(rows),
                         static_cast<std::size_t>(cols), std::vector<double>(layout.theta_size(l)),
                         MAT_COMPRESSION_ZLIB};
        for (int r = 0; r < rows; ++r)
            for (int c = 0; c < cols; ++c)
                v.column_major[static_cast<std::size_t>(c) * rows + r] = parameters.at(l, r, c);
        variables.push_back(std::move(v));
    }
    auto row = [](const std::string& name, std::vector<double> values) {
        return OutputVariable{name, 1, values.size(), std::move(values), MAT_COMPRESSION_NONE};
    };
    // digitnet_activation: see load_weights (a gradient file, suffix "_grad", has none).
    if (suffix.empty())
        variables.push_back(row("digitnet_activation",
                                {double(static_cast<int>(layout.hidden)), double(static_cast<int>(layout.output))}));
    if (info) {
        variables.push_back(row("digitnet_layout", std::vector<double>(layout.sizes.begin(), layout.sizes.end())));
        variables.push_back(row("digitnet_label_base", {double(info->label_base)}));
        variables.push_back(row("digitnet_image", {double(info->image.rows), double(info->image.cols),
                                                   info->image.column_major ? 1.0 : 0.0}));
        variables.push_back(row("digitnet_pixel_levels", {info->background, info->ink}));
        if (info->digit_box > 0)
            variables.push_back(row("digitnet_digit_box", {info->digit_box, info->centre_row, info->centre_col}));
        if (info->stroke_width > 0) variables.push_back(row("digitnet_stroke_width", {info->stroke_width}));
    }
    write_output_file(path, encode_mat(path, variables));
}

}  // namespace digitnet
