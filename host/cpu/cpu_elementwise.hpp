#pragma once
// The element-wise steps of the CPU backend, the CPU twins of the fused CUDA kernels. Each loop
// is compiled vectorised (see cpu_elementwise.cpp), in float and double.
#include <cstddef>

namespace digitnet::cpu {

// a = sigmoid(z), in place.
void sigmoid_in_place(float* z, std::size_t n);
void sigmoid_in_place(double* z, std::size_t n);

// From z_L and one-hot Y (both n values): delta = h - Y with h = sigmoid(z), and the returned sum
// of the cost terms max(z,0) - y z + log1p(exp(-|z|)).
double output_delta_cost(const float* z, const float* y, float* delta, std::size_t n);
double output_delta_cost(const double* z, const double* y, double* delta, std::size_t n);

// delta *= a (1 - a): the sigmoid's derivative from the stored activation.
void multiply_sigmoid_gradient(float* delta, const float* a, std::size_t n);
void multiply_sigmoid_gradient(double* delta, const double* a, std::size_t n);

// theta -= alpha * gradient.
void descend(float* theta, const float* gradient, float alpha, std::size_t n);
void descend(double* theta, const double* gradient, double alpha, std::size_t n);

}  // namespace digitnet::cpu
