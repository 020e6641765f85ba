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
inline void sigmoid_gradient_loop(T* __restrict delta, const T* __restrict a, std::size_t n) {
#pragma omp simd
    for (std::size_t j = 0; j < n; ++j) delta[j] *= a[j] * (T(1) - a[j]);
}

template <class T>
inline void descend_loop(T* __restrict theta, const T* __restrict gradient, T alpha, std::size_t n) {
#pragma omp simd
    for (std::size_t j = 0; j < n; ++j) theta[j] -= alpha * gradient[j];
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
DIGITNET_CLONES void multiply_sigmoid_gradient(float* delta, const float* a, std::size_t n) { sigmoid_gradient_loop(delta, a, n); }
DIGITNET_CLONES void multiply_sigmoid_gradient(double* delta, const double* a, std::size_t n) { sigmoid_gradient_loop(delta, a, n); }
DIGITNET_CLONES void descend(float* theta, const float* gradient, float alpha, std::size_t n) { descend_loop(theta, gradient, alpha, n); }
DIGITNET_CLONES void descend(double* theta, const double* gradient, double alpha, std::size_t n) { descend_loop(theta, gradient, alpha, n); }

}  // namespace digitnet::cpu
