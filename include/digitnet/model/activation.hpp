#pragma once
// The activations of the hidden layers and the outputs with their losses (DESIGN.md,
// "Hidden activations" and "Outputs"), written once for every place that computes them: the CPU
// reference, the CPU backend's loops and the CUDA kernels (hence __host__ __device__ under nvcc).
// Adding an activation means: a value in the enum (and kActivationCount), its function and
// derivative and its case in with_activation here, its name in activation.cpp (and its initial
// weights' range in layout.cpp when not the seed's); the reference, the CPU loops, the kernels,
// the command line, the page and the Python module get everything else from here.
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#if defined(__CUDACC__)
#define DIGITNET_HOST_DEVICE __host__ __device__
#else
#define DIGITNET_HOST_DEVICE
#endif

namespace digitnet {

// What a hidden layer computes from its z: a = f(z).
enum class Activation : int {
    Sigmoid = 0,  // f = 1 / (1 + exp(-z)), f' = a (1 - a): the seed's
    Tanh = 1,     // f = tanh(z), f' = 1 - a^2
    Relu = 2,     // f = max(0, z), f' = [a > 0]
};

constexpr int kActivationCount = 3;  // the values above are 0 .. kActivationCount - 1

// What the output layer computes, and the loss it is trained with. For both, the output delta is
// d_L = h - Y, so backpropagation is the same from there on.
enum class Output : int {
    Sigmoid = 0,  // h = sigmoid(z) per class, the seed's per-class cross-entropy
    Softmax = 1,  // h = softmax(z) over the classes, multinomial cross-entropy -log h_y
};

constexpr int kOutputCount = 2;

// f(z) for activation F. exp overflows to inf for very negative z, and 1 / inf is 0: the
// sigmoid's limit, never NaN.
template <Activation F, class T>
DIGITNET_HOST_DEVICE inline T activate(T z) {
    using std::exp;
    using std::tanh;
    if constexpr (F == Activation::Sigmoid)
        return T(1) / (T(1) + exp(-z));
    else if constexpr (F == Activation::Tanh)
        return tanh(z);
    else
        return z > T(0) ? z : T(0);
}

// f'(z) written in terms of a = f(z), the value the forward pass stored (as tiny-cuda-nn does):
// backpropagation never needs z itself.
template <Activation F, class T>
DIGITNET_HOST_DEVICE inline T activation_derivative(T a) {
    if constexpr (F == Activation::Sigmoid)
        return a * (T(1) - a);
    else if constexpr (F == Activation::Tanh)
        return T(1) - a * a;
    else
        return a > T(0) ? T(1) : T(0);
}

// Calls fn(std::integral_constant<Activation, F>{}) for the runtime value f: turns a runtime
// choice into a compile-time one once, outside the loops.
template <class Fn>
inline decltype(auto) with_activation(Activation f, Fn&& fn) {
    switch (f) {
        case Activation::Tanh:
            return fn(std::integral_constant<Activation, Activation::Tanh>{});
        case Activation::Relu:
            return fn(std::integral_constant<Activation, Activation::Relu>{});
        case Activation::Sigmoid:
            break;
    }
    return fn(std::integral_constant<Activation, Activation::Sigmoid>{});
}

// One sigmoid output unit's cost term from z (softplus form, DESIGN.md):
// -y log h - (1-y) log(1-h), h = sigmoid(z), equals max(z,0) - y z + log1p(exp(-|z|)).
// Finite for every finite z, however saturated the output.
template <class T>
DIGITNET_HOST_DEVICE inline T sigmoid_cost_term(T z, T y) {
    using std::abs;
    using std::exp;
    using std::log1p;
    return (z > T(0) ? z : T(0)) - y * z + log1p(exp(-abs(z)));
}

// A softmax output's cost for one example, given its row's z_max = max_k z_k and
// log_sum = log sum_k exp(z_k - z_max): -log h_y = z_max + log_sum - z_y. Finite for every finite z.
template <class T>
DIGITNET_HOST_DEVICE inline T softmax_cost(T z_label, T z_max, T log_sum) {
    return z_max + log_sum - z_label;
}

// "sigmoid", "tanh", "relu"; "sigmoid", "softmax".
const char* to_string(Activation f);
const char* to_string(Output o);
// Every name, in the enums' order: the choices the command line, the page and Python offer.
std::vector<std::string> activation_names();
std::vector<std::string> output_names();
// The value named by text, or InputError naming `option` and the choices.
Activation parse_activation(const std::string& text, const std::string& option);
Output parse_output(const std::string& text, const std::string& option);

}  // namespace digitnet
