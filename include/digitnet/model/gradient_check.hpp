#pragma once
// The numerical gradient check: central differences against backpropagation, in double.
#include <functional>
#include <vector>

#include "digitnet/model/dataset.hpp"
#include "digitnet/model/layout.hpp"

namespace digitnet {

using CostFunction = std::function<double(const Parameters&)>;

// dJ/dtheta_i ~ (J(theta + eps e_i) - J(theta - eps e_i)) / (2 eps), for every parameter.
Parameters numerical_gradient(const CostFunction& cost, const Parameters& at, double epsilon = 1e-4);

// norm(a - b) / norm(a + b): the seed course's measure; 0 when both are zero.
double relative_difference(const Parameters& a, const Parameters& b);

// The small deterministic problem of the course's checkNNGradients: 3 inputs, `hidden` units per
// hidden layer (5 in the course), 3 classes, 5 examples. Each Theta and X is filled column-major
// with sin(1), sin(2), ... divided by 10; example i (1-based) has label 1 + (i mod 3).
struct CheckProblem {
    Dataset data;
    Parameters parameters;
};
CheckProblem small_check_problem(const std::vector<int>& hidden = {5});
}  // namespace digitnet
