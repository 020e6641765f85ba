#pragma once
// Helpers shared by the tests: temporary folders, running the digitnet binary, writing .mat files
// with arbitrary (also broken) contents, and where the data files are.
#include <matio.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "digitnet/cpu/cpu_backend.hpp"
#include "digitnet/model/backend.hpp"
#include "digitnet/model/dataset.hpp"
#include "digitnet/model/matrix.hpp"

namespace digitnet::testing {

// A CPU backend for `layout` with `train` attached.
inline std::unique_ptr<Backend> training_cpu_backend(Precision precision, const Layout& layout, const Dataset& train) {
    std::unique_ptr<Backend> backend = make_cpu_backend(precision, layout);
    backend->set_training_set(train);
    return backend;
}

// The backend's own gradient-descent loop, which every backend here offers.
inline std::vector<double> gradient_descent(Backend& backend, const GradientDescentSteps& steps,
                                            const TrainingObserver& observer = {}) {
    return backend.gradient_descent_loop()->run(steps, observer);
}

inline std::string digits20_path() { return std::string(DIGITNET_SOURCE_DIR) + "/data/digits20.mat"; }

// The original exercise's trained weights, when the shared folder is beside the checkout.
inline std::string ex4weights_path() { return std::string(DIGITNET_SHARED_DIR) + "/data/ex4weights.mat"; }
inline bool have_ex4weights() { return std::filesystem::exists(ex4weights_path()); }

class TempDir {
public:
    TempDir() {
        std::random_device entropy;
        path_ = std::filesystem::temp_directory_path() /
                ("digitnet-test-" + std::to_string(entropy()) + std::to_string(entropy()));
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string file(const std::string& name) const { return (path_ / name).string(); }
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

inline void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

struct RunResult {
    int exit_code = -1;
    std::string out, err;
};

// A path as one shell word (test paths hold no single quotes).
inline std::string quote(const std::string& s) { return "'" + s + "'"; }

// Runs the digitnet binary with `arguments` (already shell-quoted where needed).
inline RunResult run_digitnet(const std::string& arguments) {
    TempDir scratch;
    const std::string out = scratch.file("stdout"), err = scratch.file("stderr");
    const std::string command =
        std::string("'") + DIGITNET_BINARY + "' " + arguments + " >'" + out + "' 2>'" + err + "' </dev/null";
    const int status = std::system(command.c_str());
    RunResult result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = read_file(out);
    result.err = read_file(err);
    return result;
}

// A variable for write_mat: a row-major matrix of doubles, or of another matio class.
struct MatVariable {
    std::string name;
    Matrix<double> values;
    matio_classes class_type = MAT_C_DOUBLE;
};

// Writes the variables into a .mat file (column-major, as MATLAB stores them).
inline void write_mat(const std::string& path, const std::vector<MatVariable>& variables,
                      mat_ft version = MAT_FT_MAT5) {
    mat_t* mat = Mat_CreateVer(path.c_str(), nullptr, version);
    if (!mat) throw std::runtime_error("cannot create " + path);
    for (const auto& v : variables) {
        const int rows = v.values.rows, cols = v.values.cols;
        std::vector<double> doubles(v.values.size());
        std::vector<float> singles(v.values.size());
        std::vector<unsigned char> bytes(v.values.size());
        for (int r = 0; r < rows; ++r)
            for (int c = 0; c < cols; ++c) {
                const double x = v.values(r, c);
                const std::size_t i = static_cast<std::size_t>(c) * rows + r;
                doubles[i] = x;
                singles[i] = static_cast<float>(x);
                // Only for a uint8 variable: NaN or Inf (the bad-input tests) to an integer is UB.
                if (v.class_type == MAT_C_UINT8) bytes[i] = static_cast<unsigned char>(x);
            }
        std::size_t dims[2] = {static_cast<std::size_t>(rows), static_cast<std::size_t>(cols)};
        void* data = v.class_type == MAT_C_SINGLE  ? static_cast<void*>(singles.data())
                     : v.class_type == MAT_C_UINT8 ? static_cast<void*>(bytes.data())
                                                   : static_cast<void*>(doubles.data());
        const matio_types type = v.class_type == MAT_C_SINGLE  ? MAT_T_SINGLE
                                 : v.class_type == MAT_C_UINT8 ? MAT_T_UINT8
                                                               : MAT_T_DOUBLE;
        matvar_t* var = Mat_VarCreate(v.name.c_str(), v.class_type, type, 2, dims, data, 0);
        Mat_VarWrite(mat, var, MAT_COMPRESSION_NONE);
        Mat_VarFree(var);
    }
    Mat_Close(mat);
}

// A small, valid data file: m examples of n features in (0, 1), labels cycling through 1..K.
inline std::vector<MatVariable> small_data_variables(int m, int n, int K, unsigned seed = 7) {
    std::mt19937 generator(seed);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    Matrix<double> X(m, n), y(m, 1);
    for (double& x : X.data) x = uniform(generator);
    for (int i = 0; i < m; ++i) y(i, 0) = 1 + i % K;
    return {{"X", X}, {"y", y}};
}

// An in-memory data set with inputs spread over [-1, 2] (so some units saturate a little) and
// labels drawn at random from 0..K-1.
inline Dataset random_dataset(int m, int n, int K, unsigned seed) {
    std::mt19937 generator(seed);
    std::uniform_real_distribution<double> uniform(-1.0, 2.0);
    Dataset data;
    data.X = Matrix<double>(m, n);
    for (double& x : data.X.data) x = uniform(generator);
    for (int i = 0; i < m; ++i) data.labels.push_back(static_cast<int>(generator() % static_cast<unsigned>(K)));
    data.classes = K;
    data.source = "random data";
    return data;
}

}  // namespace digitnet::testing
