#pragma once
// The fixture of the kernel tests (test_cuda_*kernels.cpp): a stream, uploads and downloads,
// random inputs, and the comparison with the tolerance table. Every test skips without a GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "cuda/device_buffer.hpp"
#include "cuda_check.hpp"
#include "digitnet/cuda/cuda_backend.hpp"
#include "digitnet/model/activation.hpp"
#include "tolerances.hpp"

namespace digitnet::testing {

using cuda::DeviceBuffer;

template <class T>
constexpr Precision precision_of() {
    return std::is_same_v<T, float> ? Precision::Float : Precision::Double;
}

// The plain CPU versions, in double, written as DESIGN.md states them (not from activation.hpp,
// so that a mistake there shows).
inline double cpu_sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }
inline double cpu_cost_term(double z, double y) {
    return std::max(z, 0.0) - y * z + std::log1p(std::exp(-std::abs(z)));
}
inline double cpu_activate(Activation f, double z) {
    if (f == Activation::Tanh) return std::tanh(z);
    if (f == Activation::Relu) return z > 0.0 ? z : 0.0;
    return cpu_sigmoid(z);
}
inline double cpu_activation_derivative(Activation f, double a) {
    if (f == Activation::Tanh) return 1.0 - a * a;
    if (f == Activation::Relu) return a > 0.0 ? 1.0 : 0.0;
    return a * (1.0 - a);
}
inline constexpr Activation kActivations[] = {Activation::Sigmoid, Activation::Tanh, Activation::Relu};

// A test with a CUDA stream of its own (skipped without a GPU), and copies to and from the device
// that wait for it.
class CudaStreamTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!gpu_info()) GTEST_SKIP() << "no CUDA GPU on this machine";
        CUDA_CHECK(cudaStreamCreate(&stream_));
    }
    void TearDown() override {
        if (stream_ != nullptr) cudaStreamDestroy(stream_);
    }

    template <class U>
    DeviceBuffer<U> upload(const std::vector<U>& host) {
        DeviceBuffer<U> buffer(host.size());
        buffer.upload(host.data(), host.size(), stream_);
        CUDA_CHECK(cudaStreamSynchronize(stream_));
        return buffer;
    }
    template <class U>
    std::vector<U> download(const DeviceBuffer<U>& buffer) {
        std::vector<U> host(buffer.size());
        buffer.download(host.data(), host.size(), stream_);
        CUDA_CHECK(cudaStreamSynchronize(stream_));
        return host;
    }

    cudaStream_t stream_ = nullptr;
};

// The kernel tests of precision T: random inputs and the tolerance of T.
template <class T>
class CudaKernels : public CudaStreamTest {
protected:
    // Values of T drawn uniformly from [low, high].
    std::vector<T> random_values(std::size_t count, double low, double high, unsigned seed) {
        std::mt19937 generator(seed);
        std::uniform_real_distribution<double> uniform(low, high);
        std::vector<T> values(count);
        for (T& v : values) v = static_cast<T>(uniform(generator));
        return values;
    }
    // Checks values against references with the tolerance of T's precision and prints the worst ratio.
    template <class A, class B>
    void expect_close(const A& values, const B& references, const std::string& what) {
        ASSERT_EQ(values.size(), references.size()) << what;
        const double ratio = worst_error_ratio(values, references, tolerance_for(precision_of<T>()));
        std::cout << "[ worst    ] " << what << ": " << ratio << " of the tolerance\n";
        EXPECT_LE(ratio, 1.0) << what;
    }
};

using KernelPrecisions = ::testing::Types<float, double>;

// Values drawn uniformly from [low, high] in double, for inputs the kernels read in double.
inline std::vector<double> random_doubles(std::size_t count, double low, double high, unsigned seed) {
    std::mt19937 generator(seed);
    std::uniform_real_distribution<double> uniform(low, high);
    std::vector<double> values(count);
    for (double& v : values) v = uniform(generator);
    return values;
}

}  // namespace digitnet::testing
