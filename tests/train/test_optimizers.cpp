// The optimizers beyond the seed's gradient descent: conjugate gradient and mini-batch Adam.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "digitnet/cpu/cpu_backend.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/io/mat_io.hpp"
#include "digitnet/model/cpu_reference.hpp"
#include "digitnet/train/trainer.hpp"
#include "test_util.hpp"
#include "tolerances.hpp"

namespace digitnet {
namespace {

TEST(MiniBatch, AllRowsInOrderIsTheFullBatch) {
    const Dataset data = testing::random_dataset(57, 9, 4, 3);
    auto backend = testing::training_cpu_backend(Precision::Double, make_layout(9, {6, 5}, 4), data);
    backend->set_parameters(random_parameters(backend->layout(), 8));
    std::vector<int> rows(57);
    for (int i = 0; i < 57; ++i) rows[static_cast<std::size_t>(i)] = i;
    Parameters full, batch;
    const double j_full = backend->cost_and_gradient(0.4, &full);
    const double j_batch = backend->cost_and_gradient_on(rows, 0.4, &batch);
    EXPECT_NEAR(j_batch, j_full, 1e-12);
    EXPECT_LE(testing::worst_error_ratio(batch.values, full.values, testing::kDoubleTolerance), 1.0);
}

TEST(MiniBatch, MatchesTheReferenceOnTheGatheredRows) {
    for (Precision precision : {Precision::Double, Precision::Float}) {
        const Dataset data = testing::random_dataset(80, 12, 3, 4);
        const Parameters theta = random_parameters(make_layout(12, {7}, 3), 2);
        auto backend = testing::training_cpu_backend(precision, theta.layout, data);
        backend->set_parameters(theta);
        const std::vector<int> rows{5, 79, 0, 33, 33, 12, 64};  // a repeat on purpose
        Dataset gathered = data;
        gathered.X = Matrix<double>(static_cast<int>(rows.size()), data.features());
        gathered.labels.clear();
        for (std::size_t i = 0; i < rows.size(); ++i) {
            std::copy(data.X.row(rows[i]), data.X.row(rows[i]) + data.features(), gathered.X.row(static_cast<int>(i)));
            gathered.labels.push_back(data.labels[static_cast<std::size_t>(rows[i])]);
        }
        Parameters expected, got;
        const double j_expected = reference::cost_and_gradient(theta, gathered, 0.9, &expected);
        const double j = backend->cost_and_gradient_on(rows, 0.9, &got);
        const auto tol = testing::tolerance_for(precision);
        EXPECT_TRUE(testing::within(j, j_expected, tol)) << to_string(precision);
        EXPECT_LE(testing::worst_error_ratio(got.values, expected.values, tol), 1.0) << to_string(precision);
        // The full batch afterwards is unaffected.
        EXPECT_TRUE(testing::within(backend->cost_and_gradient(0.9, nullptr),
                                    reference::cost_and_gradient(theta, data, 0.9, nullptr), tol));
    }
}

TEST(MiniBatch, RejectsRowsOutsideTheSet) {
    const Dataset data = testing::random_dataset(10, 3, 2, 1);
    auto backend = testing::training_cpu_backend(Precision::Float, make_layout(3, {2}, 2), data);
    const std::vector<int> bad{0, 10};
    EXPECT_THROW(backend->cost_and_gradient_on(bad, 0.0, nullptr), InputError);
    EXPECT_THROW(backend->cost_and_gradient_on(std::span<const int>{}, 0.0, nullptr), InputError);
}

TrainingOutcome train(Backend& backend, Optimizer optimizer, int iterations, std::uint64_t seed = 1) {
    TrainingPlan plan;
    plan.optimizer = optimizer;
    plan.gradient_descent = {iterations, 0.8};
    plan.lambda = 1.0;
    plan.minibatch.epochs = iterations;
    plan.minibatch.batch = 16;
    plan.minibatch.learning_rate = 0.01;
    plan.minibatch.seed = seed;
    return run_training(backend, plan);
}

TEST(ConjugateGradient, EveryLineSearchLowersTheCostAndBeatsGradientDescent) {
    const Dataset data = testing::random_dataset(200, 10, 3, 9);
    const Layout layout = make_layout(10, {8}, 3);
    auto cg = testing::training_cpu_backend(Precision::Double, layout, data);
    auto gd = testing::training_cpu_backend(Precision::Double, layout, data);
    cg->set_parameters(random_parameters(layout, 3));
    gd->set_parameters(random_parameters(layout, 3));
    const double start = cg->cost_and_gradient(1.0, nullptr);
    const TrainingOutcome outcome = train(*cg, Optimizer::ConjugateGradient, 30);
    ASSERT_GE(outcome.history.size(), 10u) << "cg stopped early";
    // The history holds J before each update, as gradient descent's does: it starts at the start.
    EXPECT_DOUBLE_EQ(outcome.history.front(), start);
    for (std::size_t i = 1; i < outcome.history.size(); ++i) EXPECT_LT(outcome.history[i], outcome.history[i - 1]);
    // The backend is left holding the result, lower than the last cost before an update.
    const double final_cost = cg->cost_and_gradient(1.0, nullptr);
    EXPECT_LT(final_cost, outcome.history.back());
    train(*gd, Optimizer::GradientDescent, 30);
    EXPECT_LT(final_cost, gd->cost_and_gradient(1.0, nullptr));
}

TEST(ConjugateGradient, FiftyLineSearchesOnDigits20ReachTheCoursesAccuracy) {
    const DataFile file = load_mat_data(testing::digits20_path());
    auto backend = testing::training_cpu_backend(Precision::Float, make_layout(400, {25}, 10), file.train);
    backend->set_parameters(random_parameters(backend->layout(), 1));
    const TrainingOutcome outcome = train(*backend, Optimizer::ConjugateGradient, 50);
    EXPECT_EQ(outcome.history.size(), 50u);
    const double accuracy_after = accuracy(predict_classes(backend->output(file.train.X)), file.train.labels);
    std::printf("  cg, 50 line searches: cost %.4f, train accuracy %.4f\n", outcome.history.back(), accuracy_after);
    EXPECT_GE(accuracy_after, 0.95);
}

TEST(Adam, LowersTheCostAndIsRepeatable) {
    const Dataset data = testing::random_dataset(300, 10, 3, 2);
    const Layout layout = make_layout(10, {8}, 3);
    std::vector<double> results;
    for (std::uint64_t seed : {7u, 7u, 8u}) {
        auto backend = testing::training_cpu_backend(Precision::Double, layout, data);
        backend->set_parameters(random_parameters(layout, 3));
        const double start = backend->cost_and_gradient(1.0, nullptr);
        const TrainingOutcome outcome = train(*backend, Optimizer::Adam, 20, seed);
        EXPECT_EQ(outcome.history.size(), 20u * 19u);  // 20 epochs of ceil(300 / 16) batches
        const double end = backend->cost_and_gradient(1.0, nullptr);
        EXPECT_LT(end, start * 0.9);
        results.push_back(end);
    }
    EXPECT_EQ(results[0], results[1]) << "same seed, same run";
    EXPECT_NE(results[0], results[2]) << "the seed orders the mini-batches";
}

TEST(Optimizers, CommandLine) {
    for (const char* arguments : {"--optimizer cg --iters 5", "--optimizer adam --epochs 2 --batch 100 --lr 0.02"}) {
        const auto r = testing::run_digitnet(std::string("train --device cpu --json ") + arguments);
        ASSERT_EQ(r.exit_code, 0) << arguments << r.err;
        const auto out = nlohmann::json::parse(r.out);
        EXPECT_EQ(out["optimizer"], std::string(arguments).substr(12, std::string(arguments).find(' ', 12) - 12));
        EXPECT_GT(out["train_accuracy"].get<double>(), 0.3) << arguments;
    }
    for (const char* bad :
         {"--optimizer sgd", "--optimizer adam --batch 0", "--optimizer adam --lr -1", "--optimizer adam --epochs 0"}) {
        const auto r = testing::run_digitnet(std::string("train --device cpu ") + bad);
        EXPECT_EQ(r.exit_code, 2) << bad;
    }
}

}  // namespace
}  // namespace digitnet
