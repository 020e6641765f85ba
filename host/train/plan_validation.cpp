// The one check of a training plan's values (trainer.hpp, validate_plan). The messages name the
// command line's options, which every door's options are named after.
#include <cmath>
#include <string>

#include "digitnet/errors.hpp"
#include "digitnet/train/shuffle.hpp"
#include "digitnet/train/trainer.hpp"

namespace digitnet {

namespace {

std::string number(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", value);
    return text;
}

[[noreturn]] void refuse(const std::string& option, const std::string& rule, const std::string& got) {
    throw InputError(option + " must be " + rule + ", got " + got);
}

void require(bool ok, const std::string& option, const std::string& rule, double got) {
    if (!ok) refuse(option, rule, number(got));
}

bool finite(double x) { return std::isfinite(x); }

}  // namespace

std::int64_t planned_iterations(const TrainingPlan& plan, int examples) {
    if (plan.optimizer == Optimizer::Adam || plan.optimizer == Optimizer::Sgd) {
        if (examples < 1 || plan.minibatch.batch < 1) return 0;
        return static_cast<std::int64_t>(plan.minibatch.epochs) * steps_per_epoch(examples, plan.minibatch.batch);
    }
    return plan.gradient_descent.iterations;
}

void validate_plan(const TrainingPlan& plan, int examples) {
    require(finite(plan.lambda) && plan.lambda >= 0, "--lambda", "a number >= 0", plan.lambda);
    require(plan.checkpoint_every >= 0, "--checkpoint-every", "at least 0", plan.checkpoint_every);
    switch (plan.optimizer) {
        case Optimizer::GradientDescent:
            require(finite(plan.gradient_descent.alpha) && plan.gradient_descent.alpha > 0, "--alpha",
                    "a positive number", plan.gradient_descent.alpha);
            [[fallthrough]];
        case Optimizer::ConjugateGradient:
            require(plan.gradient_descent.iterations >= 1, "--iters", "at least 1", plan.gradient_descent.iterations);
            return;
        case Optimizer::Adam:
        case Optimizer::Sgd:
            break;
    }
    const MiniBatchOptions& mb = plan.minibatch;
    require(mb.epochs >= 1, "--epochs", "at least 1", mb.epochs);
    require(mb.batch >= 1, "--batch", "at least 1", mb.batch);
    require(finite(mb.learning_rate) && mb.learning_rate > 0, "--lr", "a positive number", mb.learning_rate);
    require(finite(mb.weight_decay) && mb.weight_decay >= 0, "--weight-decay", "a number >= 0", mb.weight_decay);
    // The decay multiplies the weights by 1 - lr * wd each step: at 1 or more it zeroes or flips them.
    if (!(mb.learning_rate * mb.weight_decay < 1))
        refuse("--weight-decay", "below 1 / lr = " + number(1 / mb.learning_rate), number(mb.weight_decay));
    const ScheduleOptions& s = mb.schedule;
    if (s.kind == LearningRateSchedule::Step) {
        require(s.step_epochs >= 1, "--lr-step-epochs", "at least 1", s.step_epochs);
        require(finite(s.gamma) && s.gamma > 0 && s.gamma <= 1, "--lr-gamma", "in (0, 1]", s.gamma);
    }
    require(s.warmup_steps >= 0, "--warmup", "at least 0", s.warmup_steps);
    const std::int64_t steps = planned_iterations(plan, examples);
    if (examples >= 1 && s.warmup_steps > steps)
        refuse("--warmup",
               "at most the run's " + std::to_string(steps) + " steps (" + std::to_string(mb.epochs) + " epochs of " +
                   std::to_string(steps_per_epoch(examples, mb.batch)) + " batches)",
               std::to_string(s.warmup_steps));
    if (plan.optimizer == Optimizer::Adam) {
        require(finite(plan.adam.beta1) && plan.adam.beta1 >= 0 && plan.adam.beta1 < 1, "--beta1", "in [0, 1)",
                plan.adam.beta1);
        require(finite(plan.adam.beta2) && plan.adam.beta2 >= 0 && plan.adam.beta2 < 1, "--beta2", "in [0, 1)",
                plan.adam.beta2);
        require(finite(plan.adam.epsilon) && plan.adam.epsilon > 0, "--epsilon", "a positive number",
                plan.adam.epsilon);
    } else {
        require(finite(plan.sgd.momentum) && plan.sgd.momentum >= 0 && plan.sgd.momentum < 1, "--momentum", "in [0, 1)",
                plan.sgd.momentum);
        if (plan.sgd.nesterov && !(plan.sgd.momentum > 0))
            throw InputError("--nesterov needs a --momentum above 0, got " + number(plan.sgd.momentum));
    }
}

}  // namespace digitnet
