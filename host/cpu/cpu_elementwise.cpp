// Element-wise loops of the CPU backend.
//
// This file alone is compiled with -ffast-math: that is what lets GCC call glibc's vector exp and
// log1p (libmvec) instead of one scalar call per element, which made these loops as slow as the
// GEMMs. Every formula here is written so that no intermediate overflows (exp only ever sees
// -|z|), so the licence fast-math takes (no infinities) holds; a NaN in z still comes out NaN.
// Each function is built twice (target_clones): for AVX2+FMA machines and for any x86-64, and
// the loader picks one at start, so the binary stays portable.
#include "cpu_elementwise.hpp"

#include <cmath>
#include <vector>

namespace digitnet::cpu {

namespace {

// sigmoid(z) from e = exp(-|z|), which lies in (0, 1]: 1/(1+e) for z >= 0, e/(1+e) below.
template <class T>
inline T stable_sigmoid(T z, T e) {
    return (z >= T(0) ? T(1) : e) / (T(1) + e);
}

template <class T>
inline void sigmoid_loop(T* __restrict z, std::size_t n) {
#pragma omp simd
    for (std::size_t j = 0; j < n; ++j) z[j] = stable_sigmoid(z[j], std::exp(-std::abs(z[j])));
}

template <class T>
inline double output_loop(const T* __restrict z, const T* __restrict y, T* __restrict delta, std::size_t n) {
    // Partial sums in T, eight lanes at a time, then added in double: enough for the 1e-4 (float)
    // and 1e-9 (double) agreement with the reference, and the order is fixed, so repeatable.
    double total = 0.0;
    constexpr std::size_t block = 1024;
    for (std::size_t start = 0; start < n; start += block) {
        const std::size_t end = start + block < n ? start + block : n;
        T sum = 0;
#pragma omp simd reduction(+ : sum)
        for (std::size_t j = start; j < end; ++j) {
            const T e = std::exp(-std::abs(z[j]));
            sum += (z[j] > T(0) ? z[j] : T(0)) - y[j] * z[j] + std::log1p(e);
            delta[j] = stable_sigmoid(z[j], e) - y[j];
        }
        total += static_cast<double>(sum);
    }
    return total;
}

template <class T>
inline void activate_loop(Activation f, T* __restrict z, std::size_t n) {
    if (f == Activation::Sigmoid) return sigmoid_loop(z, n);
    with_activation(f, [&](auto F) {
#pragma omp simd
        for (std::size_t j = 0; j < n; ++j) z[j] = activate<decltype(F)::value>(z[j]);
    });
}

template <class T>
inline void derivative_loop(Activation f, T* __restrict delta, const T* __restrict a, std::size_t n) {
    with_activation(f, [&](auto F) {
#pragma omp simd
        for (std::size_t j = 0; j < n; ++j) delta[j] *= activation_derivative<decltype(F)::value>(a[j]);
    });
}

// Column i of a K x m block is z[k m + i], k = 0..K-1: every loop below runs over the examples i,
// which are contiguous, so each vectorises. With `delta` null it only writes h into z.
template <class T>
inline double softmax_loop(T* z_out, const T* z, const T* y, T* delta, int classes, std::size_t m) {
    std::vector<T> z_max(z, z + m), sum(m, T(0));
    for (int k = 1; k < classes; ++k) {
        const T* row = z + static_cast<std::size_t>(k) * m;
#pragma omp simd
        for (std::size_t i = 0; i < m; ++i) z_max[i] = row[i] > z_max[i] ? row[i] : z_max[i];
    }
    for (int k = 0; k < classes; ++k) {
        const T* row = z + static_cast<std::size_t>(k) * m;
#pragma omp simd
        for (std::size_t i = 0; i < m; ++i) sum[i] += std::exp(row[i] - z_max[i]);
    }
    double cost = 0.0;
    if (delta) {
        // sum_i (max z + log sum - z_y), with z_y = sum_k y_k z_k for one-hot y; in double.
        for (std::size_t i = 0; i < m; ++i)
            cost += static_cast<double>(z_max[i]) + std::log(static_cast<double>(sum[i]));
        for (int k = 0; k < classes; ++k) {
            const std::size_t offset = static_cast<std::size_t>(k) * m;
            double label_terms = 0.0;
            for (std::size_t i = 0; i < m; ++i) label_terms += static_cast<double>(y[offset + i] * z[offset + i]);
            cost -= label_terms;
#pragma omp simd
            for (std::size_t i = 0; i < m; ++i)
                delta[offset + i] = std::exp(z[offset + i] - z_max[i]) / sum[i] - y[offset + i];
        }
        return cost;
    }
    for (int k = 0; k < classes; ++k) {
        const std::size_t offset = static_cast<std::size_t>(k) * m;
#pragma omp simd
        for (std::size_t i = 0; i < m; ++i) z_out[offset + i] = std::exp(z[offset + i] - z_max[i]) / sum[i];
    }
    return cost;
}

// theta - alpha g, rounded once to T: for float the product of two floats is exact in double, so
// the result is the same bits whether or not the compiler fuses the multiply-add (with or without
// FMA, in any build), and the same as gd's generic loop computes (host/train/trainer.cpp).
template <class T>
inline void descend_loop(T* __restrict theta, const T* __restrict gradient, T alpha, std::size_t n) {
    using Wide = double;
#pragma omp simd
    for (std::size_t j = 0; j < n; ++j)
        theta[j] =
            static_cast<T>(static_cast<Wide>(theta[j]) - static_cast<Wide>(alpha) * static_cast<Wide>(gradient[j]));
}

}  // namespace

#define DIGITNET_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))

DIGITNET_CLONES void sigmoid_in_place(float* z, std::size_t n) { sigmoid_loop(z, n); }
DIGITNET_CLONES void sigmoid_in_place(double* z, std::size_t n) { sigmoid_loop(z, n); }
DIGITNET_CLONES double output_delta_cost(const float* z, const float* y, float* delta, std::size_t n) {
    return output_loop(z, y, delta, n);
}
DIGITNET_CLONES double output_delta_cost(const double* z, const double* y, double* delta, std::size_t n) {
    return output_loop(z, y, delta, n);
}
DIGITNET_CLONES void activate_in_place(Activation f, float* z, std::size_t n) { activate_loop(f, z, n); }
DIGITNET_CLONES void activate_in_place(Activation f, double* z, std::size_t n) { activate_loop(f, z, n); }
DIGITNET_CLONES void multiply_activation_derivative(Activation f, float* delta, const float* a, std::size_t n) {
    derivative_loop(f, delta, a, n);
}
DIGITNET_CLONES void multiply_activation_derivative(Activation f, double* delta, const double* a, std::size_t n) {
    derivative_loop(f, delta, a, n);
}
DIGITNET_CLONES double softmax_output_delta_cost(const float* z, const float* y, float* delta, int classes,
                                                 std::size_t m) {
    return softmax_loop<float>(nullptr, z, y, delta, classes, m);
}
DIGITNET_CLONES double softmax_output_delta_cost(const double* z, const double* y, double* delta, int classes,
                                                 std::size_t m) {
    return softmax_loop<double>(nullptr, z, y, delta, classes, m);
}
DIGITNET_CLONES void softmax_in_place(float* z, int classes, std::size_t m) {
    softmax_loop<float>(z, z, nullptr, nullptr, classes, m);
}
DIGITNET_CLONES void softmax_in_place(double* z, int classes, std::size_t m) {
    softmax_loop<double>(z, z, nullptr, nullptr, classes, m);
}
DIGITNET_CLONES void descend(float* theta, const float* gradient, float alpha, std::size_t n) {
    descend_loop(theta, gradient, alpha, n);
}
DIGITNET_CLONES void descend(double* theta, const double* gradient, double alpha, std::size_t n) {
    descend_loop(theta, gradient, alpha, n);
}

}  // namespace digitnet::cpu
