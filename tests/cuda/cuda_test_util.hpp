#pragma once
// Shared by the CUDA backend tests: skipping without a GPU, backends with a training set
// attached, the shapes the tests run on, bit-for-bit comparison.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "digitnet/cuda/cuda_backend.hpp"
#include "digitnet/model/backend.hpp"
#include "digitnet/model/dataset.hpp"

namespace digitnet::testing {

#define SKIP_WITHOUT_GPU()                                                                       \
    do {                                                                                         \
        if (!::digitnet::gpu_info())                                                             \
            GTEST_SKIP() << (::digitnet::cuda_compiled_in() ? "no CUDA GPU on this machine"      \
                                                            : "this build has no CUDA backend"); \
    } while (0)

// A CUDA backend for `layout` with `train` attached.
inline std::unique_ptr<Backend> training_cuda_backend(Precision precision, const Layout& layout, const Dataset& train,
                                                      const CudaOptions& options = {}) {
    std::unique_ptr<Backend> backend = make_cuda_backend(precision, layout, options);
    backend->set_training_set(train);
    return backend;
}

inline bool takes_fused_path(const Backend& backend) { return backend.device_report().path == cuda_report::kFusedPath; }

inline bool bit_identical(const std::vector<double>& a, const std::vector<double>& b) {
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

// The examples `rows` of data (repeats kept), as a data set of their own: what a mini-batch means.
inline Dataset gathered(const Dataset& data, const std::vector<int>& rows) {
    Dataset batch;
    batch.X = Matrix<double>(static_cast<int>(rows.size()), data.features());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        for (int j = 0; j < data.features(); ++j) batch.X(static_cast<int>(i), j) = data.X(rows[i], j);
        batch.labels.push_back(data.labels[static_cast<std::size_t>(rows[i])]);
    }
    batch.classes = data.classes;
    batch.source = "a mini-batch";
    return batch;
}

struct Shape {
    int m, n;
    std::vector<int> hidden;
    int K;
};

inline std::string shape_name(const Shape& s) {
    // Appended piece by piece: "m" + std::to_string(...) trips GCC 12's false -Wrestrict (PR 105329).
    std::string name = "m";
    name += std::to_string(s.m);
    name += "_";
    name += std::to_string(s.n);
    for (int h : s.hidden) {
        name += "_";
        name += std::to_string(h);
    }
    name += "_";
    name += std::to_string(s.K);
    return name;
}

// Readable test parameters in gtest's output ("m37_400_25_10" rather than the bytes).
inline void PrintTo(const Shape& s, std::ostream* os) { *os << shape_name(s); }

}  // namespace digitnet::testing
