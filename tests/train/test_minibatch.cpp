// The mini-batch optimizers (adam, sgd), their options and schedules, the CPU backend's own loop
// against the host-driven loop and against a plain reference loop, and resuming every optimizer
// from a checkpoint (issue 21; issue 20, item 5).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "digitnet/errors.hpp"
#include "digitnet/io/checkpoint_file.hpp"
#include "digitnet/model/cpu_reference.hpp"
#include "digitnet/train/shuffle.hpp"
#include "digitnet/train/trainer.hpp"
#include "test_util.hpp"
#include "tolerances.hpp"

namespace digitnet {
namespace {

// A small awkward network: two hidden layers of odd sizes, tanh, softmax; 23 examples in batches
// of 5 (the last of each epoch has 3).
struct Problem {
    Dataset data = testing::random_dataset(23, 7, 4, 5);
    Layout layout = make_layout(7, {5, 3}, 4, Activation::Tanh, Output::Softmax);
    Parameters start = random_parameters(layout, 11);
};

TrainingPlan minibatch_plan(Optimizer optimizer) {
    TrainingPlan plan;
    plan.optimizer = optimizer;
    plan.lambda = 0.7;
    plan.minibatch.epochs = 3;
    plan.minibatch.batch = 5;
    plan.minibatch.learning_rate = optimizer == Optimizer::Adam ? 0.02 : 0.1;
    plan.minibatch.seed = 4;
    return plan;
}

struct Case {
    const char* name;
    TrainingPlan plan;
};

std::vector<Case> cases() {
    std::vector<Case> all;
    TrainingPlan adam = minibatch_plan(Optimizer::Adam);
    all.push_back({"adam", adam});
    TrainingPlan adamw = adam;
    adamw.minibatch.weight_decay = 0.05;
    adamw.minibatch.schedule.kind = LearningRateSchedule::Cosine;
    adamw.minibatch.schedule.warmup_steps = 4;
    all.push_back({"adamw_warmup_cosine", adamw});
    TrainingPlan nesterov = minibatch_plan(Optimizer::Sgd);
    nesterov.sgd.momentum = 0.9;
    nesterov.sgd.nesterov = true;
    nesterov.minibatch.weight_decay = 0.01;
    all.push_back({"sgd_nesterov_decay", nesterov});
    TrainingPlan step = minibatch_plan(Optimizer::Sgd);
    step.sgd.momentum = 0.5;
    step.minibatch.schedule.kind = LearningRateSchedule::Step;
    step.minibatch.schedule.step_epochs = 1;
    step.minibatch.schedule.gamma = 0.5;
    all.push_back({"sgd_momentum_step", step});
    TrainingPlan plain = minibatch_plan(Optimizer::Sgd);
    all.push_back({"sgd", plain});
    return all;
}

// The plain reference loop, in double, written out from the formulas (not update_rules.hpp): the
// reference's gradient on the gathered rows, then the step.
Parameters reference_run(const Problem& p, const TrainingPlan& plan, std::vector<double>* history) {
    const MiniBatchOptions& mb = plan.minibatch;
    const int m = p.data.examples();
    const int per_epoch = (m + mb.batch - 1) / mb.batch, total = mb.epochs * per_epoch;
    Parameters theta = p.start;
    const std::size_t n = theta.values.size();
    std::vector<double> first(n, 0.0), second(n, 0.0);
    std::vector<int> order;
    for (int step = 0; step < total; ++step) {
        const int epoch = step / per_epoch, start = (step % per_epoch) * mb.batch;
        epoch_permutation(mb.seed, epoch, m, order);
        const int size = std::min(mb.batch, m - start);
        Dataset batch = p.data;
        batch.X = Matrix<double>(size, p.data.features());
        batch.labels.clear();
        for (int i = 0; i < size; ++i) {
            const int row = order[static_cast<std::size_t>(start + i)];
            std::copy(p.data.X.row(row), p.data.X.row(row) + p.data.features(), batch.X.row(i));
            batch.labels.push_back(p.data.labels[static_cast<std::size_t>(row)]);
        }
        Parameters g;
        history->push_back(reference::cost_and_gradient(theta, batch, plan.lambda * size / m, &g));
        // The schedule.
        const ScheduleOptions& s = mb.schedule;
        double lr = mb.learning_rate;
        if (s.kind == LearningRateSchedule::Step) lr *= std::pow(s.gamma, (step / per_epoch) / s.step_epochs);
        if (s.kind == LearningRateSchedule::Cosine && step >= s.warmup_steps)
            lr *= 0.5 * (1 + std::cos(M_PI * (step - s.warmup_steps) / double(total - s.warmup_steps)));
        if (step < s.warmup_steps) lr *= (step + 1.0) / s.warmup_steps;
        for (std::size_t j = 0; j < n; ++j) {
            double& w = theta.values[j];
            const double gj = g.values[j];
            w *= 1 - lr * mb.weight_decay;
            if (plan.optimizer == Optimizer::Adam) {
                const AdamOptions& a = plan.adam;
                first[j] = a.beta1 * first[j] + (1 - a.beta1) * gj;
                second[j] = a.beta2 * second[j] + (1 - a.beta2) * gj * gj;
                const double t = step + 1;
                const double m_hat = first[j] / (1 - std::pow(a.beta1, t));
                const double v_hat = second[j] / (1 - std::pow(a.beta2, t));
                // Kingma & Ba's epsilon-hat form: eps added to sqrt(v) before the bias correction.
                w -= lr * m_hat / (std::sqrt(v_hat) + a.epsilon / std::sqrt(1 - std::pow(a.beta2, t)));
            } else {
                first[j] = plan.sgd.momentum * first[j] + gj;
                w -= lr * (plan.sgd.nesterov ? gj + plan.sgd.momentum * first[j] : first[j]);
            }
        }
    }
    return theta;
}

std::unique_ptr<Backend> backend_for(const Problem& p, Precision precision) {
    auto backend = testing::training_cpu_backend(precision, p.layout, p.data);
    backend->set_parameters(p.start);
    return backend;
}

TEST(MiniBatchOptimizers, MatchThePlainReferenceLoopInDouble) {
    const Problem p;
    for (const Case& c : cases()) {
        std::vector<double> expected_history;
        const Parameters expected = reference_run(p, c.plan, &expected_history);
        auto backend = backend_for(p, Precision::Double);
        const TrainingOutcome outcome = run_training(*backend, c.plan);
        ASSERT_EQ(outcome.history.size(), expected_history.size()) << c.name;
        const testing::Tolerance tol = testing::kDoubleTolerance;
        EXPECT_LE(testing::worst_error_ratio(outcome.history, expected_history, tol), 1.0) << c.name;
        const double worst = testing::worst_error_ratio(backend->parameters().values, expected.values, tol);
        std::printf("  %-22s worst weight error ratio %.3g\n", c.name, worst);
        EXPECT_LE(worst, 1.0) << c.name;
        EXPECT_NE(backend->parameters().values, p.start.values) << c.name;
    }
}

TEST(MiniBatchOptimizers, BackendLoopIsTheHostDrivenLoopToTheBit) {
    const Problem p;
    for (Precision precision : {Precision::Float, Precision::Double, Precision::Tf32}) {
        for (const Case& c : cases()) {
            auto own = backend_for(p, precision), host = backend_for(p, precision);
            ASSERT_NE(own->minibatch_loop(), nullptr);
            const TrainingOutcome a = run_minibatch(*own, c.plan, fresh_start(*own, c.plan));
            const TrainingOutcome b = run_minibatch_on_host(*host, c.plan, fresh_start(*host, c.plan));
            EXPECT_EQ(own->parameters().values, host->parameters().values) << c.name << " " << to_string(precision);
            EXPECT_EQ(a.checkpoint.state.first, b.checkpoint.state.first) << c.name;
            EXPECT_EQ(a.checkpoint.state.second, b.checkpoint.state.second) << c.name;
            ASSERT_EQ(a.history.size(), b.history.size());
            // J's regularisation term is summed in another order by the loop's threads.
            EXPECT_LE(testing::worst_error_ratio(a.history, b.history, {1e-13, 1e-12}), 1.0) << c.name;
        }
    }
}

}  // namespace
}  // namespace digitnet
namespace digitnet {
namespace {
// Batches of different sizes one after another: the slices' buffers are laid out by the batch's m.
TEST(MiniBatch, BatchesOfChangingSizesMatchTheReference) {
    const Problem p;
    auto backend = backend_for(p, Precision::Double);
    for (std::vector<int> rows : {std::vector<int>{0, 1, 2, 3, 4}, std::vector<int>{5, 6, 7},
                                  std::vector<int>{19, 6, 9, 3, 18}, std::vector<int>{8}}) {
        Dataset gathered = p.data;
        gathered.X = Matrix<double>(static_cast<int>(rows.size()), p.data.features());
        gathered.labels.clear();
        for (std::size_t i = 0; i < rows.size(); ++i) {
            std::copy(p.data.X.row(rows[i]), p.data.X.row(rows[i]) + p.data.features(),
                      gathered.X.row(static_cast<int>(i)));
            gathered.labels.push_back(p.data.labels[static_cast<std::size_t>(rows[i])]);
        }
        Parameters expected, got;
        reference::cost_and_gradient(p.start, gathered, 0.3, &expected);
        backend->cost_and_gradient_on(rows, 0.3, &got);
        EXPECT_LE(testing::worst_error_ratio(got.values, expected.values, testing::kDoubleTolerance), 1.0)
            << rows.size();
    }
}
}  // namespace
}  // namespace digitnet
