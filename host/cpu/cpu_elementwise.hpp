#pragma once
// The element-wise steps of the CPU backend, the CPU twins of the fused CUDA kernels. Each loop
// is compiled vectorised (see cpu_elementwise.cpp), in float and double.
#include <cstddef>

#include "digitnet/model/activation.hpp"

namespace digitnet::cpu {

// a = sigmoid(z), in place.
void sigmoid_in_place(float* z, std::size_t n);
void sigmoid_in_place(double* z, std::size_t n);

// a = f(z), in place, for a hidden layer's activation f.
void activate_in_place(Activation f, float* z, std::size_t n);
void activate_in_place(Activation f, double* z, std::size_t n);

// From z_L and one-hot Y (both n values): delta = h - Y with h = sigmoid(z), and the returned sum
// of the cost terms max(z,0) - y z + log1p(exp(-|z|)).
double output_delta_cost(const float* z, const float* y, float* delta, std::size_t n);
double output_delta_cost(const double* z, const double* y, double* delta, std::size_t n);

// delta *= f'(z), computed from the stored activation a = f(z) (a (1 - a) for the sigmoid).
void multiply_activation_derivative(Activation f, float* delta, const float* a, std::size_t n);
void multiply_activation_derivative(Activation f, double* delta, const double* a, std::size_t n);

// Softmax outputs, feature-major: z, y and delta are K x m (row k: class k, column i: example i).
// For each column, h = softmax(z) from z - max z, delta = h - Y, and the returned sum over the
// columns of -log h_y = max z + log sum exp(z - max z) - z_y.
double softmax_output_delta_cost(const float* z, const float* y, float* delta, int classes, std::size_t m);
double softmax_output_delta_cost(const double* z, const double* y, double* delta, int classes, std::size_t m);
// h = softmax(z) per column, in place (K x m).
void softmax_in_place(float* z, int classes, std::size_t m);
void softmax_in_place(double* z, int classes, std::size_t m);

// theta -= alpha * gradient (in float: computed in double and rounded once, the same bits in any build).
void descend(float* theta, const float* gradient, float alpha, std::size_t n);
void descend(double* theta, const double* gradient, double alpha, std::size_t n);

}  // namespace digitnet::cpu
