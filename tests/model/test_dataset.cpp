// The embedded data set (DESIGN.md, digits20) and the checks every reader applies.
#include <gtest/gtest.h>

#include <cmath>

#include "digitnet/cpu/cpu_backend.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/io/mat_io.hpp"
#include "digitnet/model/backend.hpp"
#include "test_util.hpp"

namespace digitnet {
namespace {

TEST(Digits20, ShapeAndLabels) {
    const DataFile file = load_mat_data(testing::digits20_path());
    EXPECT_EQ(file.train.examples(), 5000);
    EXPECT_EQ(file.train.features(), 400);
    EXPECT_EQ(file.train.classes, 10);
    EXPECT_EQ(file.train.image.rows, 20);
    EXPECT_TRUE(file.train.image.column_major);
    ASSERT_TRUE(file.test.has_value());
    EXPECT_EQ(file.test->examples(), 5000);
    EXPECT_EQ(file.test->features(), 400);

    // The first 500 of each digit: every label 1..10 (10 for the digit 0) exactly 500 times.
    std::vector<int> counts(10, 0);
    for (int label : file.train.labels) ++counts[static_cast<std::size_t>(label)];
    for (int k = 0; k < 10; ++k) EXPECT_EQ(counts[static_cast<std::size_t>(k)], 500) << "label " << k + 1;

    // Pixels: resampled from [0, 1] (a bicubic spline may overshoot a little), rounded to 4 decimals.
    double low = 0, high = 0;
    for (double x : file.train.X.data) {
        low = std::min(low, x);
        high = std::max(high, x);
        EXPECT_NEAR(x * 1e4, std::round(x * 1e4), 1e-6);
    }
    EXPECT_LT(low, 0.0);
    EXPECT_GT(high, 0.9);
    EXPECT_LT(high, 1.5);
}

TEST(Digits20, Ex4WeightsGiveTheDesignCosts) {
    if (!testing::have_ex4weights()) GTEST_SKIP() << "no " << testing::ex4weights_path();
    const Parameters theta = load_weights(testing::ex4weights_path());
    const DataFile file = load_mat_data(testing::digits20_path());
    auto backend = testing::training_cpu_backend(Precision::Double, theta.layout, file.train);
    backend->set_parameters(theta);
    EXPECT_NEAR(backend->cost_and_gradient(0.0, nullptr), 0.283679, 1e-6);
    EXPECT_NEAR(backend->cost_and_gradient(1.0, nullptr), 0.379820, 1e-6);
    EXPECT_NEAR(accuracy(predict_classes(backend->output(file.train.X)), file.train.labels), 0.976, 5e-4);
}

Dataset tiny() {
    Dataset d;
    d.X = Matrix<double>(2, 2, 0.5);
    d.labels = {0, 1};
    d.classes = 2;
    return d;
}

TEST(Validate, AcceptsGoodData) { EXPECT_NO_THROW(validate_dataset(tiny(), "f")); }

TEST(Validate, RejectsNonFiniteValues) {
    Dataset d = tiny();
    d.X(1, 0) = std::nan("");
    EXPECT_THROW(validate_dataset(d, "f"), InputError);
    d.X(1, 0) = INFINITY;
    EXPECT_THROW(validate_dataset(d, "f"), InputError);
}

TEST(Validate, RejectsLabelsOutsideTheClasses) {
    Dataset d = tiny();
    d.labels[1] = 2;
    EXPECT_THROW(validate_dataset(d, "f"), InputError);
    d.labels[1] = -1;
    EXPECT_THROW(validate_dataset(d, "f"), InputError);
}

TEST(Validate, RejectsEmptyAndMismatchedData) {
    Dataset d = tiny();
    d.labels.push_back(0);
    EXPECT_THROW(validate_dataset(d, "f"), InputError);
    Dataset empty;
    empty.classes = 2;
    EXPECT_THROW(validate_dataset(empty, "f"), InputError);
}

TEST(Validate, MessageNamesTheFile) {
    Dataset d = tiny();
    d.labels[0] = 5;
    try {
        validate_dataset(d, "some/file.mat");
        FAIL();
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("some/file.mat"), std::string::npos);
    }
}

}  // namespace
}  // namespace digitnet
