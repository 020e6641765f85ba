// The CPU backend's own mini-batch loop (cpu_backend.cpp, "Mini-batches"): the host-driven loop's
// bits with any number of threads (one, two: the fused update, three: the summed one) and with
// features that are 0 in every example (Theta_1's active columns), and the reference's numbers.
#include <gtest/gtest.h>
#include <omp.h>

#include "digitnet/model/cpu_reference.hpp"
#include "digitnet/train/minibatch_loop.hpp"
#include "digitnet/train/trainer.hpp"
#include "test_util.hpp"
#include "tolerances.hpp"

namespace digitnet {
namespace {

class Threads {
public:
    explicit Threads(int n) : saved_(omp_get_max_threads()) { omp_set_num_threads(n); }
    ~Threads() { omp_set_num_threads(saved_); }

private:
    int saved_;
};

TEST(CpuMiniBatchLoop, AnyThreadCountGivesTheHostDrivenLoopsBits) {
    Dataset data = testing::random_dataset(61, 9, 3, 4);
    for (int i = 0; i < data.examples(); ++i) data.X(i, 2) = data.X(i, 7) = 0.0;  // two inactive features
    const Layout layout = make_layout(9, {6}, 3, Activation::Relu, Output::Softmax);
    const Parameters start = random_parameters(layout, 5);
    TrainingPlan plan;
    plan.optimizer = Optimizer::Adam;
    plan.lambda = 0.5;
    plan.minibatch.epochs = 3;
    plan.minibatch.batch = 8;  // 7 batches of 8 and one of 5
    plan.minibatch.learning_rate = 0.01;
    plan.minibatch.weight_decay = 0.1;
    TrainingPlan sgd = plan;
    sgd.optimizer = Optimizer::Sgd;
    sgd.sgd.momentum = 0.8;
    for (int threads : {1, 2, 3}) {
        const Threads scope(threads);
        for (const TrainingPlan& p : {plan, sgd}) {
            for (Precision precision : {Precision::Float, Precision::Double, Precision::Bf16}) {
                auto own = testing::training_cpu_backend(precision, layout, data);
                auto host = testing::training_cpu_backend(precision, layout, data);
                own->set_parameters(start);
                host->set_parameters(start);
                run_minibatch(*own, p, fresh_start(*own, p));
                run_minibatch_on_host(*host, p, fresh_start(*host, p));
                EXPECT_EQ(own->parameters().values, host->parameters().values)
                    << threads << " threads, " << to_string(p.optimizer) << ", " << to_string(precision);
                // The inactive features' weights moved by the decay and the regularisation alone.
                EXPECT_NE(own->parameters().at(1, 0, 3), start.at(1, 0, 3));
            }
        }
    }
}

// A step of the loop is the reference's gradient on the batch's rows followed by the update.
TEST(CpuMiniBatchLoop, OneStepIsTheReferencesGradientThenTheRule) {
    const Dataset data = testing::random_dataset(40, 6, 4, 9);
    const Layout layout = make_layout(6, {5, 4}, 4, Activation::Sigmoid, Output::Sigmoid);
    const Parameters start = random_parameters(layout, 2);
    auto backend = testing::training_cpu_backend(Precision::Double, layout, data);
    backend->set_parameters(start);
    MiniBatchLoop* loop = backend->minibatch_loop();
    ASSERT_NE(loop, nullptr);
    MiniBatchRun run;
    run.optimizer = Optimizer::Sgd;
    run.minibatch.batch = 40;  // one batch: every row, in the permutation's order
    run.minibatch.epochs = 1;
    run.minibatch.learning_rate = 0.3;
    run.lambda = 0.2;
    OptimizerState fresh;
    fresh.optimizer = Optimizer::Sgd;
    loop->begin(run, fresh);
    const std::vector<double> costs = loop->run(1, 0.0, {});
    ASSERT_EQ(costs.size(), 1u);
    Parameters gradient;
    const double cost = reference::cost_and_gradient(start, data, 0.2, &gradient);
    EXPECT_TRUE(testing::within(costs[0], cost, testing::kDoubleTolerance));
    Parameters expected = start;
    for (std::size_t j = 0; j < expected.values.size(); ++j) expected.values[j] -= 0.3 * gradient.values[j];
    EXPECT_LE(testing::worst_error_ratio(backend->parameters().values, expected.values, testing::kDoubleTolerance),
              1.0);
    EXPECT_EQ(loop->state().iterations, 1);
    EXPECT_EQ(loop->run(1, 0.0, {}).size(), 0u);  // already there
}

}  // namespace
}  // namespace digitnet
