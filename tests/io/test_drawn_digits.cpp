// Digits as people draw them (issue 22): the seed recipe's model reads pictures from two
// independent generators (redrawn_digits.hpp: the digit's level sets on other canvases;
// drawn_digits.hpp: its centre lines drawn again with a pen, tilted, noisy, blurred) nearly as well
// as the same digits as stored.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "digitnet/cpu/cpu_backend.hpp"
#include "digitnet/io/image_input.hpp"
#include "digitnet/io/mat_io.hpp"
#include "drawn_digits.hpp"
#include "redrawn_digits.hpp"
#include "test_util.hpp"

namespace digitnet {
namespace {

struct DrawnDigits : ::testing::Test {
    // The seed recipe: 400-25-10 sigmoid, full-batch gradient descent, alpha 0.8, lambda 1, 800 steps.
    static void SetUpTestSuite() {
        file = new DataFile(load_mat_data(testing::digits20_path()));
        auto backend = testing::training_cpu_backend(Precision::Double, make_layout(400, {25}, 10), file->train);
        backend->set_parameters(random_parameters(backend->layout(), 1));
        testing::gradient_descent(*backend, {800, 0.8, 1.0}, {});
        model = new Parameters(backend->parameters());
        info = new ModelInfo(model_info_for(file->train));
    }
    static void TearDownTestSuite() {
        delete file;
        delete model;
        delete info;
    }
    static DataFile* file;
    static Parameters* model;
    static ModelInfo* info;
};
DataFile* DrawnDigits::file = nullptr;
Parameters* DrawnDigits::model = nullptr;
ModelInfo* DrawnDigits::info = nullptr;

struct Tally {
    int right = 0, count = 0;
    void add(bool ok) { right += ok ? 1 : 0, ++count; }
    double percent() const { return count ? 100.0 * right / count : 0.0; }
};

int class_of(Backend& backend, const std::vector<double>& input) {
    Matrix<double> x(1, static_cast<int>(input.size()));
    std::copy(input.begin(), input.end(), x.row(0));
    return predict_classes(backend.output(x))[0];
}

TEST_F(DrawnDigits, TheSeedModelReadsBothGeneratorsWithinFourPointsOfTheStoredDigits) {
    const Dataset& test = *file->test;
    auto backend = make_cpu_backend(Precision::Double, model->layout);
    backend->set_parameters(*model);
    const int count = 300;
    Tally stored, redrawn, drawn, big_thin, big_thick, small_thin, small_thick;
    std::mt19937 random(22);
    for (int n = 0; n < count; ++n) {
        const int i = n * (test.examples() / count) + 3;
        const int label = test.labels[static_cast<std::size_t>(i)];
        stored.add(class_of(*backend, std::vector<double>(test.X.row(i), test.X.row(i) + 400)) == label);
        redrawn.add(class_of(*backend, image_to_input(testing::redrawn_digit(test, i, random), *info)) == label);
        const testing::Drawing d = testing::pen_drawn_digit(test, i, random);
        const bool ok = class_of(*backend, image_to_input(d.image, *info)) == label;
        drawn.add(ok);
        (d.big_canvas() ? (d.thin_pen() ? big_thin : big_thick) : (d.thin_pen() ? small_thin : small_thick)).add(ok);
    }
    std::printf(
        "stored %.1f%%, redrawn %.1f%%, pen-drawn %.1f%% (big canvas thin pen %.1f%% of %d, thick %.1f%% of %d; "
        "small canvas thin %.1f%% of %d, thick %.1f%% of %d)\n",
        stored.percent(), redrawn.percent(), drawn.percent(), big_thin.percent(), big_thin.count, big_thick.percent(),
        big_thick.count, small_thin.percent(), small_thin.count, small_thick.percent(), small_thick.count);
    EXPECT_GE(redrawn.percent(), stored.percent() - 4.0);
    EXPECT_GE(drawn.percent(), stored.percent() - 4.0);
}

}  // namespace
}  // namespace digitnet
