#pragma once
// What an optimizer is told: plain aggregates, with no dependency beyond the standard library, so
// that the backends' own loops (host/cpu, host/cuda) and the host-driven loops (host/train) read
// the same structs. validate_plan (trainer.hpp) is the one place their ranges are checked.
#include <cstdint>

namespace digitnet {

enum class Optimizer {
    GradientDescent,    // the seed's full-batch gradient descent
    ConjugateGradient,  // nonlinear conjugate gradient (Polak-Ribiere+), Wolfe line searches
    Adam,               // mini-batch Adam (AdamW with a weight decay)
    Sgd,                // mini-batch SGD, with momentum and Nesterov's variant
};

// How the learning rate of the mini-batch optimizers moves over a run (update_rules.hpp,
// learning_rate_factor, has the formulas).
enum class LearningRateSchedule {
    Constant,  // lr throughout
    Step,      // lr * gamma^(floor(epoch / step_epochs))
    Cosine,    // lr * (1 + cos(pi * progress)) / 2, progress 0 -> 1 over the steps after the warm-up
};

struct ScheduleOptions {
    LearningRateSchedule kind = LearningRateSchedule::Constant;
    int step_epochs = 10;  // Step: epochs between two multiplications by gamma
    double gamma = 0.1;    // Step: the factor, in (0, 1]
    // Linear warm-up: step s (0-based) of the first warmup_steps takes lr * (s + 1) / warmup_steps
    // times the schedule's factor; 0 for none. At most the run's number of steps.
    int warmup_steps = 0;
};

// What the mini-batch optimizers (adam, sgd) share.
struct MiniBatchOptions {
    int epochs = 10;
    int batch = 128;
    double learning_rate = 1e-3;  // the base lr, before the schedule
    // Decoupled weight decay (Loshchilov & Hutter; PyTorch's AdamW and SGD's): each step first
    // multiplies the weights by (1 - lr_t * weight_decay), besides the cost's lambda, which stays
    // the seed's L2 term in J. Bias columns decay too, as PyTorch's do with one parameter group.
    double weight_decay = 0.0;
    ScheduleOptions schedule;
    std::uint64_t seed = 1;  // the order of the examples, a new permutation each epoch (shuffle.hpp)
};

struct AdamOptions {
    double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
};

struct SgdOptions {
    double momentum = 0.0;  // in [0, 1); 0 is plain SGD
    bool nesterov = false;  // Nesterov's momentum (needs momentum > 0)
};

struct GradientDescentOptions {
    int iterations = 800;  // gradient steps (gd) or line searches (cg)
    double alpha = 0.8;    // gd only
};

}  // namespace digitnet
