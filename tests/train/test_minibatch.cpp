// The mini-batch optimizers (adam, sgd), their options and schedules, the CPU backend's own loop
// against the host-driven loop and against a plain reference loop, and resuming every optimizer
// from a checkpoint (issue 21; issue 20, item 5).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <thread>

#include "digitnet/errors.hpp"
#include "digitnet/io/checkpoint_file.hpp"
#include "digitnet/model/cpu_reference.hpp"
#include "digitnet/train/shuffle.hpp"
#include "digitnet/train/trainer.hpp"
#include "digitnet/train/update_rules.hpp"
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

TEST(MiniBatchOptimizers, FloatFollowsDoubleWithinTheFloatTolerance) {
    const Problem p;
    for (const Case& c : cases()) {
        TrainingPlan plan = c.plan;
        plan.minibatch.epochs = 1;
        auto single = backend_for(p, Precision::Float), twice = backend_for(p, Precision::Double);
        const TrainingOutcome a = run_training(*single, plan), b = run_training(*twice, plan);
        EXPECT_LE(testing::worst_error_ratio(a.history, b.history, testing::kFloatTolerance), 1.0) << c.name;
        const double worst = testing::worst_error_ratio(single->parameters().values, twice->parameters().values,
                                                        testing::kFloatTolerance);
        std::printf("  %-22s float against double: worst weight error ratio %.3g\n", c.name, worst);
        EXPECT_LE(worst, 1.0) << c.name;
    }
}

TEST(MiniBatchOptimizers, RepeatBitForBitAndTheSeedOrdersTheBatches) {
    const Problem p;
    for (Precision precision : {Precision::Float, Precision::Double}) {
        for (const Case& c : cases()) {
            auto a = backend_for(p, precision), b = backend_for(p, precision), other = backend_for(p, precision);
            const TrainingOutcome first = run_training(*a, c.plan), second = run_training(*b, c.plan);
            EXPECT_EQ(a->parameters().values, b->parameters().values) << c.name;
            EXPECT_EQ(first.history, second.history) << c.name;
            TrainingPlan reseeded = c.plan;
            reseeded.minibatch.seed = 5;
            run_training(*other, reseeded);
            EXPECT_NE(a->parameters().values, other->parameters().values) << c.name;
        }
    }
}

TEST(Shuffle, EachEpochIsAPermutationOfItsOwn) {
    std::vector<int> a, b, again;
    epoch_permutation(3, 0, 1000, a);
    epoch_permutation(3, 1, 1000, b);
    epoch_permutation(3, 0, 1000, again);
    EXPECT_EQ(a, again);
    EXPECT_NE(a, b);
    std::vector<int> sorted = b;
    std::sort(sorted.begin(), sorted.end());
    for (int i = 0; i < 1000; ++i) EXPECT_EQ(sorted[static_cast<std::size_t>(i)], i);
    EXPECT_EQ(steps_per_epoch(23, 5), 5);
    EXPECT_EQ(steps_per_epoch(20, 5), 4);
    EXPECT_EQ(steps_per_epoch(3, 128), 1);
}

// The batch windows every loop (and the GPU's, which reads its rows in place from the uploaded
// permutation) takes: each epoch's windows cover its permutation once, in order.
TEST(Shuffle, BatchWindowsCoverEachEpochOnce) {
    for (auto [m, batch] : {std::pair{23, 5}, std::pair{20, 5}, std::pair{3, 128}, std::pair{60000, 128}}) {
        const std::int64_t per_epoch = steps_per_epoch(m, batch);
        for (std::int64_t epoch = 0; epoch < 3; ++epoch) {
            int next = 0;
            for (std::int64_t s = 0; s < per_epoch; ++s) {
                const BatchWindow w = batch_window(epoch * per_epoch + s, m, batch);
                EXPECT_EQ(w.epoch, epoch);
                EXPECT_EQ(w.start, next);
                EXPECT_GE(w.size, 1);
                EXPECT_LE(w.size, batch);
                next += w.size;
            }
            EXPECT_EQ(next, m);
        }
    }
}

TEST(LearningRateSchedules, FollowTheirFormulas) {
    ScheduleOptions s;
    EXPECT_EQ(learning_rate_factor(s, 17, 10, 100), 1.0);
    s.warmup_steps = 4;
    EXPECT_DOUBLE_EQ(learning_rate_factor(s, 0, 10, 100), 0.25);
    EXPECT_DOUBLE_EQ(learning_rate_factor(s, 3, 10, 100), 1.0);
    s.kind = LearningRateSchedule::Cosine;
    EXPECT_DOUBLE_EQ(learning_rate_factor(s, 4, 10, 100), 1.0);     // the cosine starts after the warm-up
    EXPECT_NEAR(learning_rate_factor(s, 52, 10, 100), 0.5, 1e-12);  // half way through the 96 steps after it
    EXPECT_LT(learning_rate_factor(s, 99, 10, 100), 1e-3);
    s = {};
    s.kind = LearningRateSchedule::Step;
    s.step_epochs = 3;
    s.gamma = 0.5;
    EXPECT_EQ(learning_rate_factor(s, 29, 10, 100), 1.0);
    EXPECT_EQ(learning_rate_factor(s, 30, 10, 100), 0.5);
    EXPECT_EQ(learning_rate_factor(s, 65, 10, 100), 0.25);
}

TEST(TrainingPlans, OutOfRangeValuesAreRefusedWithTheirOption) {
    const auto refused = [](const TrainingPlan& plan, const std::string& option) {
        try {
            validate_plan(plan, 100);
        } catch (const InputError& e) {
            return std::string(e.what()).rfind(option, 0) == 0;
        }
        return false;
    };
    TrainingPlan sgd = minibatch_plan(Optimizer::Sgd);
    EXPECT_NO_THROW(validate_plan(sgd, 100));
    for (double momentum : {-0.1, 1.0, 1.5, std::nan("")}) {
        TrainingPlan bad = sgd;
        bad.sgd.momentum = momentum;
        EXPECT_TRUE(refused(bad, "--momentum")) << momentum;
    }
    TrainingPlan nesterov = sgd;
    nesterov.sgd.nesterov = true;
    EXPECT_TRUE(refused(nesterov, "--nesterov"));
    for (double lr : {0.0, -1.0, std::numeric_limits<double>::infinity()}) {
        TrainingPlan bad = sgd;
        bad.minibatch.learning_rate = lr;
        EXPECT_TRUE(refused(bad, "--lr")) << lr;
    }
    for (double decay : {-0.01, 10.0 /* lr 0.1: 1 - lr wd = 0 */}) {
        TrainingPlan bad = sgd;
        bad.minibatch.weight_decay = decay;
        EXPECT_TRUE(refused(bad, "--weight-decay")) << decay;
    }
    TrainingPlan warm = sgd;  // 3 epochs of 20 batches of 5
    warm.minibatch.schedule.warmup_steps = 60;
    EXPECT_NO_THROW(validate_plan(warm, 100));
    warm.minibatch.schedule.warmup_steps = 61;
    EXPECT_TRUE(refused(warm, "--warmup"));
    warm.minibatch.schedule.warmup_steps = -1;
    EXPECT_TRUE(refused(warm, "--warmup"));
    TrainingPlan step = sgd;
    step.minibatch.schedule.kind = LearningRateSchedule::Step;
    step.minibatch.schedule.gamma = 0;
    EXPECT_TRUE(refused(step, "--lr-gamma"));
    step.minibatch.schedule.gamma = 0.5;
    step.minibatch.schedule.step_epochs = 0;
    EXPECT_TRUE(refused(step, "--lr-step-epochs"));
    TrainingPlan adam = minibatch_plan(Optimizer::Adam);
    adam.adam.beta1 = 1.0;
    EXPECT_TRUE(refused(adam, "--beta1"));
    adam = minibatch_plan(Optimizer::Adam);
    adam.adam.epsilon = 0;
    EXPECT_TRUE(refused(adam, "--epsilon"));
    adam = minibatch_plan(Optimizer::Adam);
    adam.minibatch.batch = 0;
    EXPECT_TRUE(refused(adam, "--batch"));
    adam.minibatch.batch = 5;
    adam.minibatch.epochs = 0;
    EXPECT_TRUE(refused(adam, "--epochs"));
    TrainingPlan gd;
    gd.gradient_descent.alpha = -0.8;
    EXPECT_TRUE(refused(gd, "--alpha"));
    gd = {};
    gd.lambda = -1;
    EXPECT_TRUE(refused(gd, "--lambda"));
    // run_training refuses too, before any step.
    const Problem p;
    auto backend = backend_for(p, Precision::Float);
    TrainingPlan bad = sgd;
    bad.sgd.momentum = 1.0;
    EXPECT_THROW(run_training(*backend, bad), InputError);
    const Parameters untouched = backend->parameters();
    EXPECT_THROW(run_training(*backend, bad), InputError);
    EXPECT_EQ(backend->parameters().values, untouched.values);
}

// An interrupt raised while the loop runs ends it within a step, and the run goes on from where it
// stopped exactly as if it had never been interrupted.
TEST(MiniBatchOptimizers, AnInterruptEndsTheRunWithinAStepAndTheRunResumesExactly) {
    const Dataset data = testing::random_dataset(2000, 30, 5, 8);
    const Layout layout = make_layout(30, {40}, 5, Activation::Relu, Output::Softmax);
    TrainingPlan plan = minibatch_plan(Optimizer::Adam);
    plan.minibatch.epochs = 400;  // 400 x 400 steps: far longer than the 30 ms before the interrupt
    auto uninterrupted = testing::training_cpu_backend(Precision::Float, layout, data);
    uninterrupted->set_parameters(random_parameters(layout, 2));
    auto backend = testing::training_cpu_backend(Precision::Float, layout, data);
    backend->set_parameters(random_parameters(layout, 2));
    std::atomic<bool> interrupt{false};
    plan.interrupt = &interrupt;
    std::thread raiser([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        interrupt = true;
    });
    const auto start = std::chrono::steady_clock::now();
    const TrainingOutcome stopped = run_training(*backend, plan);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    raiser.join();
    ASSERT_TRUE(stopped.interrupted);
    const auto done = static_cast<std::int64_t>(stopped.history.size());
    EXPECT_GT(done, 0);
    EXPECT_LT(done, planned_iterations(plan, 2000));
    EXPECT_EQ(stopped.checkpoint.state.iterations, done);
    EXPECT_LT(seconds, 5.0);  // a loaded machine may be slow to schedule us, not 5 s slow
    // Go on from the checkpoint for a while, and compare with a run straight to the same step.
    interrupt = false;
    TrainingPlan shorter = plan;
    shorter.interrupt = nullptr;
    shorter.minibatch.epochs = static_cast<int>(done / 400) + 2;
    auto resumed = testing::training_cpu_backend(Precision::Float, layout, data);
    const TrainingOutcome rest = resume_training(*resumed, shorter, stopped.checkpoint);
    const TrainingOutcome straight = run_training(*uninterrupted, shorter);
    EXPECT_EQ(resumed->parameters().values, uninterrupted->parameters().values);
    EXPECT_EQ(rest.history, straight.history);
}

// Every optimizer: 10 iterations, a checkpoint written to a file and read back, 10 more from it,
// equal 20 in one go, bit for bit, with the history.
TEST(Resume, TenAndTenIterationsAreTwentyBitForBit) {
    const Problem p;
    testing::TempDir dir;
    std::vector<std::pair<std::string, TrainingPlan>> plans;
    TrainingPlan gd;
    gd.gradient_descent = {20, 0.5};
    plans.emplace_back("gd", gd);
    TrainingPlan cg = gd;
    cg.optimizer = Optimizer::ConjugateGradient;
    plans.emplace_back("cg", cg);
    for (const Case& c : cases()) {
        TrainingPlan plan = c.plan;
        plan.minibatch.epochs = 4;  // 20 steps of 5 a epoch; 10 ends in the middle of epoch 2
        plans.emplace_back(c.name, plan);
    }
    for (Precision precision : {Precision::Float, Precision::Double}) {
        for (auto& [name, plan] : plans) {
            const std::string label = name + " " + to_string(precision);
            auto whole = backend_for(p, precision);
            const TrainingOutcome straight = run_training(*whole, plan);
            ASSERT_EQ(straight.history.size(), 20u) << label;

            // The first 10: a checkpoint at 10 written to a file, then the run stopped there.
            TrainingPlan first = plan;
            std::atomic<bool> stop{false};
            first.interrupt = &stop;
            first.checkpoint_every = 10;
            const std::string file = dir.file(name + ".ckpt");
            first.on_checkpoint_state = [&](const Checkpoint& c) {
                write_checkpoint_file(file, c);
                stop = true;
            };
            auto half = backend_for(p, precision);
            const TrainingOutcome stopped = run_training(*half, first);
            EXPECT_TRUE(stopped.interrupted) << label;
            EXPECT_EQ(stopped.history.size(), 10u) << label;

            const Checkpoint read = read_checkpoint_file(file);
            EXPECT_EQ(read.state.iterations, 10) << label;
            auto rest = backend_for(p, precision);
            rest->set_parameters(random_parameters(p.layout, 99));  // the checkpoint's weights replace these
            const TrainingOutcome resumed = resume_training(*rest, plan, read);
            EXPECT_EQ(rest->parameters().values, whole->parameters().values) << label;
            EXPECT_EQ(resumed.history, straight.history) << label;
            EXPECT_EQ(resumed.checkpoint.state.first, straight.checkpoint.state.first) << label;
            EXPECT_EQ(resumed.checkpoint.state.second, straight.checkpoint.state.second) << label;
        }
    }
}

TEST(Resume, ACheckpointThatDoesNotFitIsRefused) {
    const Problem p;
    auto backend = backend_for(p, Precision::Double);
    TrainingPlan plan = minibatch_plan(Optimizer::Adam);
    const Checkpoint made = run_training(*backend, plan).checkpoint;
    EXPECT_NO_THROW(resume_training(*backend, plan, made));  // at its end: nothing left to do
    TrainingPlan other = plan;
    other.minibatch.batch = 6;
    EXPECT_THROW(resume_training(*backend, other, made), InputError);
    other = plan;
    other.minibatch.seed = 9;
    EXPECT_THROW(resume_training(*backend, other, made), InputError);
    other = plan;
    other.optimizer = Optimizer::Sgd;
    EXPECT_THROW(resume_training(*backend, other, made), InputError);
    other = plan;
    other.minibatch.epochs = 2;  // the checkpoint is 15 steps in, this run has 10
    EXPECT_THROW(resume_training(*backend, other, made), InputError);
    auto wider = testing::training_cpu_backend(Precision::Double, make_layout(7, {6, 3}, 4), p.data);
    EXPECT_THROW(resume_training(*wider, plan, made), InputError);
}

TEST(CheckpointFiles, RoundTripAndRefuseDamage) {
    testing::TempDir dir;
    Checkpoint c;
    c.parameters = random_parameters(make_layout(3, {2}, 2, Activation::Relu, Output::Softmax), 3);
    c.state.optimizer = Optimizer::Adam;
    c.state.iterations = 7;
    c.state.first.assign(c.parameters.values.size(), 0.25);
    c.state.second.assign(c.parameters.values.size(), 1e-300);
    c.state.seed = 123456789012345ull;
    c.state.batch = 5;
    c.state.examples = 23;
    c.history = {1.5, 1.25, std::nextafter(1.0, 2.0)};
    const std::string path = dir.file("run.ckpt");
    write_checkpoint_file(path, c);
    const Checkpoint r = read_checkpoint_file(path);
    EXPECT_EQ(r.parameters.layout, c.parameters.layout);
    EXPECT_EQ(r.parameters.values, c.parameters.values);
    EXPECT_EQ(r.state.optimizer, c.state.optimizer);
    EXPECT_EQ(r.state.iterations, 7);
    EXPECT_EQ(r.state.first, c.state.first);
    EXPECT_EQ(r.state.second, c.state.second);
    EXPECT_EQ(r.state.seed, c.state.seed);
    EXPECT_EQ(r.state.batch, 5);
    EXPECT_EQ(r.state.examples, 23);
    EXPECT_EQ(r.history, c.history);

    const std::string bytes = testing::read_file(path);
    const auto refused = [&](const std::string& damaged, const std::string& why) {
        testing::write_file(path, damaged);
        try {
            read_checkpoint_file(path);
        } catch (const InputError& e) {
            const std::string message = e.what();
            return message.find(path) != std::string::npos && message.find(why) != std::string::npos;
        }
        return false;
    };
    EXPECT_TRUE(refused(bytes.substr(0, bytes.size() / 2), "checksum"));
    std::string flipped = bytes;
    flipped[bytes.size() / 2] ^= 1;
    EXPECT_TRUE(refused(flipped, "checksum"));
    EXPECT_TRUE(refused("", "signature"));
    EXPECT_TRUE(refused("Theta1 = [1 2 3]\n", "signature"));
    EXPECT_THROW(read_checkpoint_file(dir.file("missing.ckpt")), InputError);
}

}  // namespace
}  // namespace digitnet
