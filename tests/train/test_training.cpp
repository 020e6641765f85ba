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
    std::printf("  final cost %.6f, train accuracy %.4f, test accuracy %.4f\n", history.back(), train_accuracy, test_accuracy);
    EXPECT_GE(train_accuracy, 0.94);
    EXPECT_GE(test_accuracy, 0.88);
    EXPECT_LT(history.back(), 0.6);
}

TEST(Training, AutoFallsBackToTheCpuAndSaysSo) {
    const Dataset data = testing::random_dataset(10, 4, 2, 1);
    std::string note;
    auto backend = make_backend(Device::Auto, Precision::Float, make_layout(4, {3}, 2), data, &note);
    if (backend->device() == Device::Gpu) GTEST_SKIP() << "a GPU is present";
    EXPECT_EQ(backend->device(), Device::Cpu);
    EXPECT_NE(note.find("CPU"), std::string::npos) << note;
}

}  // namespace
}  // namespace digitnet
