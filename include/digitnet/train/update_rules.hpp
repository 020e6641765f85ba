#pragma once
// The update formulas of every first-order optimizer, written once for every place that applies
// them: the host-driven loops (host/train/optimizers.cpp), the CPU backend's own mini-batch loop
// (host/cpu) and the CUDA kernels (kernels/minibatch_*.cu), hence __host__ __device__ under nvcc,
// as activation.hpp is for the activations.
//
// Per step, the host (in double) turns the options, the schedule and the step count into a few
// coefficients (*_coefficients below); per element, the loops apply *_update in the run's
// precision T: float master weights and state for float runs (as PyTorch keeps them), double for
// double. The same coefficients and the same element formula give the same bits wherever the
// loop runs on the CPU (the files that apply them are compiled without FMA contraction).
#include <cmath>
#include <cstdint>

#include "digitnet/model/activation.hpp"  // DIGITNET_HOST_DEVICE
#include "digitnet/train/optimizer_options.hpp"

namespace digitnet {

// The learning rate of step `step` (0-based) is lr * learning_rate_factor(...), in a run of
// total_steps steps of steps_per_epoch each:
//   warm-up:   (step + 1) / warmup_steps while step < warmup_steps, else 1;
//   constant:  1;
//   step:      gamma^floor(epoch / step_epochs), epoch = floor(step / steps_per_epoch);
//   cosine:    (1 + cos(pi p)) / 2, p = (step - warmup_steps) / (total_steps - warmup_steps) after
//              the warm-up (PyTorch's CosineAnnealingLR to 0, per step), 1 during it.
// The warm-up multiplies the schedule's factor.
inline double learning_rate_factor(const ScheduleOptions& s, std::int64_t step, std::int64_t steps_per_epoch,
                                   std::int64_t total_steps) {
    double factor = 1.0;
    if (s.kind == LearningRateSchedule::Step) {
        const std::int64_t epoch = step / steps_per_epoch;
        factor = std::pow(s.gamma, static_cast<double>(epoch / s.step_epochs));
    } else if (s.kind == LearningRateSchedule::Cosine && step >= s.warmup_steps) {
        const double span = static_cast<double>(total_steps - s.warmup_steps);
        const double progress = span > 0 ? static_cast<double>(step - s.warmup_steps) / span : 0.0;
        factor = 0.5 * (1.0 + std::cos(3.14159265358979323846 * progress));
    }
    if (step < s.warmup_steps) factor *= static_cast<double>(step + 1) / s.warmup_steps;
    return factor;
}

// Adam (Kingma & Ba, algorithm 1, with its "efficient" ordering: the bias corrections folded into
// the step, epsilon added to sqrt(v)), and AdamW's decoupled decay (the weights first multiplied by
// 1 - lr_t * weight_decay, as PyTorch's AdamW):
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
//   w = w (1 - lr_t wd) - lr_t sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps),  t = 1, 2, ...
template <class T>
struct AdamCoefficients {
    T beta1, one_minus_beta1, beta2, one_minus_beta2, epsilon;
    T step;  // lr_t sqrt(1 - b2^t) / (1 - b1^t)
    T keep;  // 1 - lr_t weight_decay
};

// For the t-th step (1-based) at learning rate lr_t.
template <class T>
inline AdamCoefficients<T> adam_coefficients(const AdamOptions& o, double lr_t, double weight_decay, std::int64_t t) {
    const double bias1 = 1.0 - std::pow(o.beta1, static_cast<double>(t));
    const double bias2 = 1.0 - std::pow(o.beta2, static_cast<double>(t));
    return {static_cast<T>(o.beta1),
            static_cast<T>(1.0 - o.beta1),
            static_cast<T>(o.beta2),
            static_cast<T>(1.0 - o.beta2),
            static_cast<T>(o.epsilon),
            static_cast<T>(lr_t * std::sqrt(bias2) / bias1),
            static_cast<T>(1.0 - lr_t * weight_decay)};
}

template <class T>
DIGITNET_HOST_DEVICE inline void adam_update(T& w, T& m, T& v, T g, const AdamCoefficients<T>& c) {
    using std::sqrt;
    m = c.beta1 * m + c.one_minus_beta1 * g;
    v = c.beta2 * v + c.one_minus_beta2 * (g * g);
    w = w * c.keep - c.step * m / (sqrt(v) + c.epsilon);
}

// SGD with momentum mu (PyTorch's, dampening 0: the buffer starts at 0, so the first step's buffer
// is g), Nesterov's variant, and decoupled decay:
//   b = mu b + g;  d = g + mu b (Nesterov) or b;  w = w (1 - lr_t wd) - lr_t d.
// With mu = 0 it is plain SGD: w = w (1 - lr_t wd) - lr_t g.
template <class T>
struct SgdCoefficients {
    T learning_rate;  // lr_t
    T momentum;
    T keep;  // 1 - lr_t weight_decay
    bool nesterov;
};

template <class T>
inline SgdCoefficients<T> sgd_coefficients(const SgdOptions& o, double lr_t, double weight_decay) {
    return {static_cast<T>(lr_t), static_cast<T>(o.momentum), static_cast<T>(1.0 - lr_t * weight_decay), o.nesterov};
}

template <class T>
DIGITNET_HOST_DEVICE inline void sgd_update(T& w, T& buffer, T g, const SgdCoefficients<T>& c) {
    buffer = c.momentum * buffer + g;
    const T d = c.nesterov ? g + c.momentum * buffer : buffer;
    w = w * c.keep - c.learning_rate * d;
}

}  // namespace digitnet
