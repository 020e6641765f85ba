// predict --image: pictures made from test-set digits, upright and inverted in polarity, any size
// and colour, must be read the way the model's training data was.
#include <gtest/gtest.h>
#include <png.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "digitnet/cpu/cpu_backend.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/io/image_input.hpp"
#include "digitnet/io/mat_io.hpp"
#include "digitnet/io/png_image.hpp"
#include "test_util.hpp"

namespace digitnet {
namespace {

// Example i of an ex4-layout data set as a picture `zoom` times larger, ink bright (or dark when
// inverted). X is column-major 20x20; pictures are row-major.
GrayImage picture_of(const Dataset& data, int i, int zoom, bool inverted) {
    const int side = data.image.rows;
    GrayImage image;
    image.width = image.height = side * zoom;
    image.pixels.resize(static_cast<std::size_t>(image.width) * image.height);
    for (int y = 0; y < image.height; ++y)
        for (int x = 0; x < image.width; ++x) {
            const double v = std::clamp(data.X(i, (x / zoom) * side + y / zoom), 0.0, 1.0);
            image.pixels[static_cast<std::size_t>(y) * image.width + x] = inverted ? 1.0 - v : v;
        }
    return image;
}

// The same picture as an RGBA PNG on a transparent canvas: ink opaque, background clear.
void write_rgba_png(const std::string& path, const GrayImage& image) {
    std::vector<png_byte> rgba(static_cast<std::size_t>(image.width) * image.height * 4);
    for (std::size_t i = 0; i < image.pixels.size(); ++i) {
        const double ink = 1.0 - image.pixels[i];  // dark strokes...
        rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = 20;
        rgba[4 * i + 3] = static_cast<png_byte>(std::lround(255 * (1.0 - ink)));  // ...where the digit is
    }
    png_image png{};
    png.version = PNG_IMAGE_VERSION;
    png.width = static_cast<png_uint_32>(image.width);
    png.height = static_cast<png_uint_32>(image.height);
    png.format = PNG_FORMAT_RGBA;
    ASSERT_TRUE(png_image_write_to_file(&png, path.c_str(), 0, rgba.data(), 0, nullptr));
}

struct ImageInput : ::testing::Test {
    static void SetUpTestSuite() {
        file = new DataFile(load_mat_data(testing::digits20_path()));
        auto backend = testing::training_cpu_backend(Precision::Float, make_layout(400, {25}, 10), file->train);
        backend->set_parameters(random_parameters(backend->layout(), 1));
        testing::gradient_descent(*backend, {300, 0.8, 1.0}, {});
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
DataFile* ImageInput::file = nullptr;
Parameters* ImageInput::model = nullptr;
ModelInfo* ImageInput::info = nullptr;

TEST_F(ImageInput, ModelInfoOfDigits20) {
    EXPECT_EQ(info->label_base, 1);
    EXPECT_EQ(info->image.rows, 20);
    EXPECT_TRUE(info->image.column_major);
    EXPECT_EQ(info->background, 0.0);
    EXPECT_GT(info->ink, 0.9);
    EXPECT_LT(info->ink, 1.3);
}

TEST_F(ImageInput, PicturesOfTestDigitsAreReadAsTheDataIs) {
    const Dataset& test = *file->test;
    auto backend = testing::training_cpu_backend(Precision::Float, model->layout, test);
    backend->set_parameters(*model);
    const std::vector<int> on_data = predict_classes(backend->output(test.X));
    for (bool inverted : {false, true}) {
        for (int zoom : {1, 3}) {
            Matrix<double> X(100, 400);
            for (int n = 0; n < 100; ++n) {
                const std::vector<double> input = image_to_input(picture_of(test, n * 50, zoom, inverted), *info);
                std::copy(input.begin(), input.end(), X.row(n));
            }
            const std::vector<int> on_pictures = predict_classes(backend->output(X));
            int same = 0;
            for (int n = 0; n < 100; ++n) same += on_pictures[static_cast<std::size_t>(n)] == on_data[static_cast<std::size_t>(n * 50)];
            EXPECT_GE(same, 95) << "inverted " << inverted << ", zoom " << zoom;
        }
    }
}

TEST_F(ImageInput, ColourPngWithAlphaRoundTripsThroughTheCommandLine) {
    testing::TempDir dir;
    const std::string model_path = dir.file("model.mat");
    save_weights(model_path, *model, "", info);
    const Dataset& test = *file->test;
    auto backend = testing::training_cpu_backend(Precision::Float, model->layout, test);
    backend->set_parameters(*model);
    int agreed = 0;
    const int tries = 10;
    for (int n = 0; n < tries; ++n) {
        const int i = 37 + n * 490;
        const std::string png = dir.file("digit" + std::to_string(n) + ".png");
        write_rgba_png(png, picture_of(test, i, 2, false));
        const auto r = testing::run_digitnet("predict --device cpu --json --model '" + model_path + "' --image '" + png + "'");
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const auto out = nlohmann::json::parse(r.out);
        Matrix<double> X(1, 400);
        std::copy(test.X.row(i), test.X.row(i) + 400, X.row(0));
        const int expected_label = predict_classes(backend->output(X))[0] + 1;
        agreed += out["label"].get<int>() == expected_label;
        double total = 0;
        for (const auto& c : out["classes"]) total += c["probability"].get<double>();
        EXPECT_NEAR(total, 1.0, 1e-9);
        EXPECT_EQ(out["digit"].get<int>(), out["label"].get<int>() % 10) << "label 10 stands for the digit 0";
    }
    EXPECT_GE(agreed, 9);
}

TEST(ImageInputErrors, NotAPng) {
    testing::TempDir dir;
    testing::write_file(dir.file("x.png"), "not a png at all");
    EXPECT_THROW(read_png(dir.file("x.png")), InputError);
    EXPECT_THROW(read_png(dir.file("absent.png")), InputError);
}

TEST(ImageInputErrors, CommandLineSaysWhichFile) {
    testing::TempDir dir;
    save_weights(dir.file("m.mat"), random_parameters(make_layout(400, {5}, 10), 1));
    testing::write_file(dir.file("x.png"), "garbage");
    const auto r = testing::run_digitnet("predict --device cpu --model '" + dir.file("m.mat") + "' --image '" + dir.file("x.png") + "'");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("x.png: not a PNG"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace digitnet
