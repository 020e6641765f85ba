// Training runs: the cost falls, and the seed's recipe reaches the seed's accuracy.
#include <gtest/gtest.h>

#include "digitnet/cpu/cpu_backend.hpp"
#include "digitnet/io/mat_io.hpp"
#include "digitnet/train/trainer.hpp"
#include "test_util.hpp"

namespace digitnet {
namespace {

TEST(Training, ShortRunCostFalls) {
    const Dataset data = testing::random_dataset(200, 10, 3, 8);
    auto backend = make_backend(Device::Cpu, Precision::Float, make_layout(10, {8}, 3), data);
    backend->set_parameters(random_parameters(backend->layout(), 4));
    const std::vector<double> history = testing::gradient_descent(*backend, {50, 0.8, 1.0}, {});
    ASSERT_EQ(history.size(), 50u);
    for (std::size_t i = 1; i < history.size(); ++i) EXPECT_LE(history[i], history[i - 1] + 1e-6) << "iteration " << i;
    EXPECT_LT(history.back(), history.front() * 0.98);
}

TEST(Training, SeedRecipeOnDigits20ReachesTheSeedsAccuracy) {
    const DataFile file = load_mat_data(testing::digits20_path());
    auto backend = make_backend(Device::Cpu, Precision::Float, make_layout(400, {25}, 10), file.train);
    backend->set_parameters(random_parameters(backend->layout(), 1));
    const std::vector<double> history = testing::gradient_descent(*backend, {800, 0.8, 1.0}, {});
    ASSERT_EQ(history.size(), 800u);
    const double train_accuracy = accuracy(predict_classes(backend->output(file.train.X)), file.train.labels);
    const double test_accuracy = accuracy(predict_classes(backend->output(file.test->X)), file.test->labels);
    std::printf("  final cost %.6f, train accuracy %.4f, test accuracy %.4f\n", history.back(), train_accuracy,
                test_accuracy);
    EXPECT_GE(train_accuracy, 0.94);
    EXPECT_GE(test_accuracy, 0.88);
    EXPECT_LT(history.back(), 0.6);
}

// The mixed precisions train like float: the seed's recipe (300 of its 800 iterations) on digits20
// in tf32 and bf16 (CPU emulation) ends within 1% of float's cost and 1 point of its accuracies, and
// mini-batch Adam (the other pass, over gathered rows) lowers the cost as much as in float.
TEST(Training, MixedPrecisionsConvergeLikeFloat) {
    const DataFile file = load_mat_data(testing::digits20_path());
    const Layout layout = make_layout(400, {25}, 10);
    struct Result {
        double cost, train_accuracy, test_accuracy, adam_cost;
    };
    auto run = [&](Precision precision) {
        auto backend = make_backend(Device::Cpu, precision, layout, file.train);
        backend->set_parameters(random_parameters(layout, 1));
        const std::vector<double> history = testing::gradient_descent(*backend, {300, 0.8, 1.0}, {});
        Result r{history.back(), accuracy(predict_classes(backend->output(file.train.X)), file.train.labels),
                 accuracy(predict_classes(backend->output(file.test->X)), file.test->labels), 0.0};
        backend->set_parameters(random_parameters(layout, 2));
        TrainingPlan plan;
        plan.optimizer = Optimizer::Adam;
        plan.minibatch.epochs = 3;
        plan.minibatch.batch = 100;
        plan.minibatch.learning_rate = 0.01;
        run_training(*backend, plan);
        r.adam_cost = backend->cost_and_gradient(plan.lambda, nullptr);
        std::printf("  %s: gd cost %.5f, train %.4f, test %.4f; adam cost %.5f\n", to_string(precision), r.cost,
                    r.train_accuracy, r.test_accuracy, r.adam_cost);
        return r;
    };
    const Result fp32 = run(Precision::Float);
    for (Precision precision : {Precision::Tf32, Precision::Bf16}) {
        const Result mixed = run(precision);
        EXPECT_NEAR(mixed.cost, fp32.cost, 0.01 * fp32.cost) << to_string(precision);
        EXPECT_NEAR(mixed.train_accuracy, fp32.train_accuracy, 0.01) << to_string(precision);
        EXPECT_NEAR(mixed.test_accuracy, fp32.test_accuracy, 0.01) << to_string(precision);
        EXPECT_NEAR(mixed.adam_cost, fp32.adam_cost, 0.05 * fp32.adam_cost) << to_string(precision);
    }
}

TEST(Training, AutoFallsBackToTheCpuAndSaysSo) {
    const Dataset data = testing::random_dataset(10, 4, 2, 1);
    std::string note;
    auto backend = make_backend(Device::Auto, Precision::Float, make_layout(4, {3}, 2), data, &note);
    if (backend->device() == Device::Gpu) GTEST_SKIP() << "a GPU is present";
    EXPECT_EQ(backend->device(), Device::Cpu);
    EXPECT_NE(note.find("CPU"), std::string::npos) << note;
}

// A backend that hides its own gradient-descent loop, so that gd runs the generic one (as it does
// for the data-parallel backend), and otherwise passes every call through.
class WithoutOwnLoop final : public Backend {
public:
    explicit WithoutOwnLoop(Backend& inner) : inner_(inner) {}
    DeviceReport device_report() const override { return inner_.device_report(); }
    Device device() const override { return inner_.device(); }
    Precision precision() const override { return inner_.precision(); }
    const Layout& layout() const override { return inner_.layout(); }
    void set_training_set(const Dataset& train) override { inner_.set_training_set(train); }
    int examples() const override { return inner_.examples(); }
    void set_parameters(const Parameters& parameters) override { inner_.set_parameters(parameters); }
    Parameters parameters() const override { return inner_.parameters(); }
    double cost_and_gradient(double lambda, Parameters* gradient) override {
        return inner_.cost_and_gradient(lambda, gradient);
    }
    double cost_and_gradient_on(std::span<const int> rows, double lambda, Parameters* gradient) override {
        return inner_.cost_and_gradient_on(rows, lambda, gradient);
    }
    Matrix<double> output(const Matrix<double>& X) override { return inner_.output(X); }

private:
    Backend& inner_;
};

// The generic loop keeps a float backend's weights in float, as the backend's own loop does: every
// weight stays a float, and 300 of the seed's steps end where the CPU backend's own loop ends, bit
// for bit (the same gradients, and both updates round theta - alpha g, computed in double, once).
// Kept in double, the weights drifted 5.3e-7 from the own loop's over those steps.
TEST(Training, TheGenericLoopKeepsAFloatBackendsWeightsInFloat) {
    const DataFile file = load_mat_data(testing::digits20_path());
    const Layout layout = make_layout(400, {25}, 10);
    TrainingPlan plan;
    plan.gradient_descent = {300, 0.8};
    auto own = make_backend(Device::Cpu, Precision::Float, layout, file.train);
    auto inner = make_backend(Device::Cpu, Precision::Float, layout, file.train);
    own->set_parameters(random_parameters(layout, 1));
    inner->set_parameters(random_parameters(layout, 1));
    WithoutOwnLoop generic(*inner);
    ASSERT_NE(own->gradient_descent_loop(), nullptr);
    const TrainingOutcome by_own = run_training(*own, plan), by_generic = run_training(generic, plan);
    ASSERT_EQ(by_generic.history.size(), 300u);
    const std::vector<double> a = own->parameters().values, b = generic.parameters().values;
    double difference = 0, scale = 0;
    for (std::size_t j = 0; j < a.size(); ++j) {
        EXPECT_EQ(b[j], static_cast<double>(static_cast<float>(b[j]))) << "weight " << j << " is not a float";
        difference = std::max(difference, std::abs(a[j] - b[j]));
        scale = std::max(scale, std::abs(a[j]));
    }
    std::printf("  generic loop against the backend's own: weights %.3g, final cost %.3g\n", difference / scale,
                std::abs(by_generic.history.back() / by_own.history.back() - 1));
    EXPECT_EQ(difference, 0.0);
    EXPECT_EQ(by_generic.history, by_own.history);
}

}  // namespace
}  // namespace digitnet
