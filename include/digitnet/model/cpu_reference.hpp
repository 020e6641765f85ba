#pragma once
// The CPU reference: the mathematics of DESIGN.md in plain double loops, one example at a time.
// Written to be obviously right, not fast. Tests and the gradient check compare everything
// else with it; it is never used to train.
#include <vector>

#include "digitnet/model/dataset.hpp"
#include "digitnet/model/layout.hpp"
#include "digitnet/model/matrix.hpp"

namespace digitnet::reference {

double sigmoid(double z);
double activate(Activation f, double z);
// f'(z) from a = f(z).
double activation_derivative(Activation f, double a);
// h = softmax(z), computed from z - max z.
std::vector<double> softmax(const std::vector<double>& z);
// -log softmax(z)[label] = max z + log sum exp(z - max z) - z_label.
double softmax_cost(const std::vector<double>& z, int label);

// The per-example cost term of one output unit, computed from z (softplus form):
// -y log h - (1-y) log(1-h) with h = sigmoid(z) equals max(z,0) - y z + log1p(exp(-|z|)).
double output_cost_term(double z, double y);

// Activations of every layer for one example x (s0 values): a[0] = [1, x], a[l] = [1, f(z_l)]
// for hidden layers (f the layout's activation), a[L] = h = sigmoid(z_L) or softmax(z_L) (no
// bias). z[l] for l = 1..L (z[0] is empty).
struct Activations {
    std::vector<std::vector<double>> a;
    std::vector<std::vector<double>> z;
};
Activations forward(const Parameters& theta, const double* x);

// J (regularised with lambda) over the whole data set; fills gradient when it is not null. The
// data term is the sigmoid outputs' per-class cross-entropy, or softmax's -log h_y.
double cost_and_gradient(const Parameters& theta, const Dataset& data, double lambda, Parameters* gradient);

// h (m x K) for each row of X.
Matrix<double> output(const Parameters& theta, const Matrix<double>& X);

}  // namespace digitnet::reference
