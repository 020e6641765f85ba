// .mat reading and writing: round trips, the classes X may come in, v7.3 files, atomic saves.
#include <gtest/gtest.h>

#include <filesystem>

#include "digitnet/errors.hpp"
#include "digitnet/io/mat_io.hpp"
#include "test_util.hpp"

namespace digitnet {
namespace {

TEST(MatIo, WeightsRoundTripExactly) {
    testing::TempDir dir;
    const Parameters p = random_parameters(make_layout(7, {5, 3}, 4), 17);
    save_weights(dir.file("model.mat"), p);
    const Parameters back = load_weights(dir.file("model.mat"));
    EXPECT_EQ(back.layout, p.layout);
    EXPECT_EQ(back.values, p.values);
}

TEST(MatIo, ModelsRecordTheirActivationAndOutput) {
    testing::TempDir dir;
    const Parameters p = random_parameters(make_layout(7, {5}, 4, Activation::Relu, Output::Softmax), 2);
    save_weights(dir.file("relu.mat"), p);
    const Parameters back = load_weights(dir.file("relu.mat"));
    EXPECT_EQ(back.layout.hidden, Activation::Relu);
    EXPECT_EQ(back.layout.output, Output::Softmax);
    EXPECT_EQ(back.layout, p.layout);
    // A code out of range is refused with the variable's name, not read as some activation.
    auto filled = [](int rows, int cols, double value) {
        Matrix<double> m(rows, cols);
        for (double& v : m.data) v = value;
        return m;
    };
    Matrix<double> codes = filled(1, 2, 0.0);
    codes.data[0] = 3;  // activations are 0..2
    testing::write_mat(dir.file("bad.mat"),
                       {{"Theta1", filled(5, 8, 0.1)}, {"Theta2", filled(4, 6, 0.1)}, {"digitnet_activation", codes}});
    try {
        load_weights(dir.file("bad.mat"));
        FAIL() << "activation code 3 was accepted";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("digitnet_activation"), std::string::npos) << e.what();
    }
}

TEST(MatIo, GradientFileHasGradNames) {
    testing::TempDir dir;
    const Parameters p = random_parameters(make_layout(3, {2}, 2), 1);
    save_weights(dir.file("grad.mat"), p, "_grad");
    mat_t* mat = Mat_Open(dir.file("grad.mat").c_str(), MAT_ACC_RDONLY);
    ASSERT_NE(mat, nullptr);
    matvar_t* t1 = Mat_VarReadInfo(mat, "Theta1_grad");
    matvar_t* t2 = Mat_VarReadInfo(mat, "Theta2_grad");
    EXPECT_NE(t1, nullptr);
    EXPECT_NE(t2, nullptr);
    if (t1) {
        EXPECT_EQ(t1->dims[0], 2u);
        EXPECT_EQ(t1->dims[1], 4u);
    }
    Mat_VarFree(t1);
    Mat_VarFree(t2);
    Mat_Close(mat);
}

TEST(MatIo, ReadsTheSeedsWeightsFile) {
    if (!testing::have_ex4weights()) GTEST_SKIP() << "no " << testing::ex4weights_path();
    const Parameters p = load_weights(testing::ex4weights_path());
    EXPECT_EQ(p.layout.describe(), "400-25-10");
    EXPECT_EQ(p.layout.hidden, Activation::Sigmoid);  // no digitnet_activation: the seed's network
    EXPECT_EQ(p.layout.output, Output::Sigmoid);
}

TEST(MatIo, SaveLeavesNoTemporaryFilesAndReplacesAtomically) {
    testing::TempDir dir;
    const std::string path = dir.file("model.mat");
    save_weights(path, random_parameters(make_layout(3, {2}, 2), 1));
    save_weights(path, random_parameters(make_layout(3, {4}, 2), 2));
    EXPECT_EQ(load_weights(path).layout.describe(), "3-4-2");
    int files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
        (void)entry;
        ++files;
    }
    EXPECT_EQ(files, 1);
}

TEST(MatIo, FailedSaveLeavesTheOldFile) {
    testing::TempDir dir;
    EXPECT_THROW(save_weights(dir.file("no/such/folder/model.mat"), Parameters(make_layout(1, {1}, 1))), InputError);
}

TEST(MatIo, DataInAnyNumericClassAndBothVersions) {
    testing::TempDir dir;
    Matrix<double> X(4, 3), y(4, 1);
    for (int i = 0; i < 4; ++i) {
        for (int j = 0; j < 3; ++j) X(i, j) = i * 10 + j;
        y(i, 0) = 1 + i % 2;
    }
    for (auto class_type : {MAT_C_DOUBLE, MAT_C_SINGLE, MAT_C_UINT8}) {
        for (auto version : {MAT_FT_MAT5, MAT_FT_MAT73}) {
            const std::string path =
                dir.file("data" + std::to_string(int(class_type)) + "_" + std::to_string(int(version)) + ".mat");
            testing::write_mat(path, {{"X", X, class_type}, {"y", y}}, version);
            const DataFile file = load_mat_data(path);
            // uint8 pixels become [0, 1] as IDX and CSV bytes do (issue 10).
            std::vector<double> expected = X.data;
            if (class_type == MAT_C_UINT8)
                for (double& v : expected) v /= 255.0;
            EXPECT_EQ(file.train.X.data, expected) << path;
            EXPECT_EQ(file.train.labels, (std::vector<int>{0, 1, 0, 1}));
            EXPECT_EQ(file.train.classes, 2);
            EXPECT_FALSE(file.test.has_value());
        }
    }
}

TEST(MatIo, TestSetIsRead) {
    testing::TempDir dir;
    auto variables = testing::small_data_variables(6, 4, 3);
    auto test_variables = testing::small_data_variables(5, 4, 3, 99);
    variables.push_back({"Xtest", test_variables[0].values});
    variables.push_back({"ytest", test_variables[1].values});
    testing::write_mat(dir.file("d.mat"), variables);
    const DataFile file = load_mat_data(dir.file("d.mat"));
    ASSERT_TRUE(file.test.has_value());
    EXPECT_EQ(file.test->examples(), 5);
    EXPECT_EQ(file.test->classes, 3);
}

}  // namespace
}  // namespace digitnet
