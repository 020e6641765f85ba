// The digitnet program end to end: every subcommand's output, and every kind of bad input
// giving one line that names the file, exit code 2, and no output file touched.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "digitnet/io/mat_io.hpp"
#include "digitnet/model/layout.hpp"
#include "test_util.hpp"

namespace digitnet {
namespace {

using nlohmann::json;
using testing::run_digitnet;
using testing::TempDir;

using testing::quote;

int lines(const std::string& text) {
    int count = 0;
    for (char c : text) count += c == '\n';
    return count;
}

TEST(Cli, TrainJsonHasTheDocumentedKeys) {
    TempDir dir;
    const auto r = run_digitnet("train --device cpu --iters 30 --json --save " + quote(dir.file("m.mat")) +
                                " --history " + quote(dir.file("h.csv")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json out = json::parse(r.out);
    for (const char* key :
         {"final_cost", "train_accuracy", "test_accuracy", "iterations", "seconds", "device", "precision"})
        EXPECT_TRUE(out.contains(key)) << key;
    EXPECT_EQ(out["iterations"], 30);
    EXPECT_EQ(out["device"], "cpu");
    EXPECT_EQ(out["precision"], "float");
    EXPECT_GT(out["train_accuracy"].get<double>(), 0.1);
    EXPECT_LE(out["train_accuracy"].get<double>(), 1.0);
    EXPECT_EQ(load_weights(dir.file("m.mat")).layout.describe(), "400-25-10");
    const std::string history = testing::read_file(dir.file("h.csv"));
    EXPECT_EQ(lines(history), 32);  // header, the starting cost, one line per iteration
    EXPECT_EQ(history.rfind("iteration,cost\n0,", 0), 0u);
}

TEST(Cli, TrainIsRepeatableAndInitResumes) {
    TempDir dir;
    const auto a = run_digitnet("train --device cpu --iters 5 --json --seed 3 --save " + quote(dir.file("a.mat")));
    const auto b = run_digitnet("train --device cpu --iters 5 --json --seed 3");
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_EQ(json::parse(a.out)["final_cost"], json::parse(b.out)["final_cost"]);
    const auto resumed = run_digitnet("train --device cpu --iters 5 --json --init " + quote(dir.file("a.mat")));
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    EXPECT_LT(json::parse(resumed.out)["final_cost"].get<double>(), json::parse(a.out)["final_cost"].get<double>());
}

TEST(Cli, TrainReluSoftmaxSavesItAndPredictUsesIt) {
    TempDir dir;
    const auto r =
        run_digitnet("train --device cpu --iters 40 --alpha 0.5 --activation relu --output softmax --json --save " +
                     quote(dir.file("m.mat")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json out = json::parse(r.out);
    EXPECT_EQ(out["activation"], "relu");
    EXPECT_EQ(out["output"], "softmax");
    EXPECT_GT(out["train_accuracy"].get<double>(), 0.5);
    const Parameters model = load_weights(dir.file("m.mat"));
    EXPECT_EQ(model.layout.describe(), "400-25-10 relu softmax");
    const auto p = run_digitnet("predict --device cpu --json --model " + quote(dir.file("m.mat")));
    ASSERT_EQ(p.exit_code, 0) << p.err;
    EXPECT_NEAR(json::parse(p.out)["accuracy"].get<double>(), out["train_accuracy"].get<double>(), 1e-9);
    // Resuming with another activation than the model's is refused before any work.
    const auto mismatch =
        run_digitnet("train --device cpu --iters 2 --activation tanh --init " + quote(dir.file("m.mat")));
    EXPECT_EQ(mismatch.exit_code, 2);
    EXPECT_NE(mismatch.err.find("relu"), std::string::npos) << mismatch.err;
    const auto bad = run_digitnet("train --device cpu --iters 2 --activation swish");
    EXPECT_EQ(bad.exit_code, 2) << bad.err;
}

TEST(Cli, TrainWithSeveralHiddenLayersAndDouble) {
    const auto r = run_digitnet("train --device cpu --iters 3 --hidden 12,8 --precision double --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json out = json::parse(r.out);
    EXPECT_EQ(out["layout"], "400-12-8-10");
    EXPECT_EQ(out["precision"], "double");
}

// The mixed precisions from the command line: they train, say so, and save the model in double.
TEST(Cli, TrainInMixedPrecisionSavesADoubleModel) {
    TempDir dir;
    for (const std::string precision : {"tf32", "bf16"}) {
        const std::string model = dir.file(precision + ".mat");
        const auto r =
            run_digitnet("train --device cpu --iters 3 --precision " + precision + " --json --save " + quote(model));
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const json out = json::parse(r.out);
        EXPECT_EQ(out["precision"], precision);
        EXPECT_NE(out["device_name"].get<std::string>().find(precision + " GEMM inputs"), std::string::npos)
            << out["device_name"];
        mat_t* mat = Mat_Open(model.c_str(), MAT_ACC_RDONLY);
        ASSERT_NE(mat, nullptr);
        matvar_t* theta = Mat_VarRead(mat, "Theta1");
        ASSERT_NE(theta, nullptr);
        EXPECT_EQ(theta->class_type, MAT_C_DOUBLE);
        EXPECT_EQ(theta->data_type, MAT_T_DOUBLE);
        Mat_VarFree(theta);
        Mat_Close(mat);
    }
    const auto refused = run_digitnet("gradcheck --device cpu --precision tf32");
    EXPECT_EQ(refused.exit_code, 2);
    EXPECT_NE(refused.err.find("--precision tf32: the gradient check checks double precision only"), std::string::npos)
        << refused.err;
    const auto unknown = run_digitnet("train --device cpu --precision fp16");
    EXPECT_EQ(unknown.exit_code, 2);
}

TEST(Cli, CostMatchesTheSeedAndWritesTheGradient) {
    if (!testing::have_ex4weights()) GTEST_SKIP() << "no " << testing::ex4weights_path();
    TempDir dir;
    const auto r = run_digitnet("cost --device cpu --precision double --json --lambda 1 --model " +
                                quote(testing::ex4weights_path()) + " --grad " + quote(dir.file("g.mat")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json out = json::parse(r.out);
    EXPECT_NEAR(out["cost"].get<double>(), 0.379820, 1e-6);
    EXPECT_EQ(out["lambda"], 1.0);
    EXPECT_EQ(out["examples"], 5000);
    mat_t* mat = Mat_Open(dir.file("g.mat").c_str(), MAT_ACC_RDONLY);
    ASSERT_NE(mat, nullptr);
    matvar_t* g = Mat_VarReadInfo(mat, "Theta2_grad");
    EXPECT_NE(g, nullptr);
    Mat_VarFree(g);
    Mat_Close(mat);
}

TEST(Cli, PredictGivesAccuracyAndConfusion) {
    TempDir dir;
    ASSERT_EQ(run_digitnet("train --device cpu --iters 20 --save " + quote(dir.file("m.mat"))).exit_code, 0);
    const auto r = run_digitnet("predict --device cpu --json --set test --model " + quote(dir.file("m.mat")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json out = json::parse(r.out);
    EXPECT_EQ(out["examples"], 5000);
    const auto confusion = out["confusion"].get<std::vector<std::vector<long>>>();
    ASSERT_EQ(confusion.size(), 10u);
    long total = 0, diagonal = 0;
    for (std::size_t i = 0; i < 10; ++i)
        for (std::size_t j = 0; j < 10; ++j) {
            total += confusion[i][j];
            if (i == j) diagonal += confusion[i][j];
        }
    EXPECT_EQ(total, 5000);
    EXPECT_NEAR(out["accuracy"].get<double>(), double(diagonal) / 5000.0, 1e-12);
    const auto text = run_digitnet("predict --device cpu --model " + quote(dir.file("m.mat")));
    EXPECT_NE(text.out.find("confusion matrix"), std::string::npos);
}

TEST(Cli, GradcheckPasses) {
    const auto r = run_digitnet("gradcheck --device cpu --json");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const json out = json::parse(r.out);
    EXPECT_LT(out["relative_difference"].get<double>(), 1e-9);
    EXPECT_GT(out["relative_difference"].get<double>(), 0.0);
    EXPECT_EQ(out["checks"].size(), 2u);
    EXPECT_EQ(out["precision"], "double");
}

TEST(Cli, ShowWritesAPng) {
    TempDir dir;
    const auto r = run_digitnet("show --json --out " + quote(dir.file("digits.png")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string png = testing::read_file(dir.file("digits.png"));
    ASSERT_GT(png.size(), 100u);
    EXPECT_EQ(png.substr(1, 3), "PNG");
    EXPECT_EQ(json::parse(r.out)["width"], (1 + 10 * 21) * 3);

    save_weights(dir.file("m.mat"), random_parameters(make_layout(400, {25}, 10), 1));
    const auto units =
        run_digitnet("show --out " + quote(dir.file("units.png")) + " --model " + quote(dir.file("m.mat")));
    ASSERT_EQ(units.exit_code, 0) << units.err;
    EXPECT_GT(testing::read_file(dir.file("units.png")).size(), 100u);
}

TEST(Cli, InfoSaysWhatIsThere) {
    const auto r = run_digitnet("info --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json out = json::parse(r.out);
    EXPECT_TRUE(out.contains("version"));
    EXPECT_TRUE(out["cuda_compiled"].is_boolean());
    EXPECT_NE(out["blas"].get<std::string>().find("OpenBLAS"), std::string::npos);
    EXPECT_TRUE(out.contains("gpu"));
}

TEST(Cli, GpuWithoutAGpuIsAClearError) {
    const auto info = json::parse(run_digitnet("info --json").out);
    if (!info["gpu"].is_null()) GTEST_SKIP() << "a GPU is present";
    const auto r = run_digitnet("train --device gpu --iters 1");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("gpu"), std::string::npos) << r.err;
    EXPECT_EQ(lines(r.err), 1) << r.err;
}

// ---- bad input: one line naming the problem, exit 2, the output file untouched ----

struct BadInput : ::testing::Test {
    TempDir dir;
    std::string model = dir.file("model.mat");
    const std::string sentinel = "keep me";

    void SetUp() override { testing::write_file(model, sentinel); }

    // Runs `train --save model` with the given extra arguments and checks the contract.
    void expect_rejected(const std::string& arguments, const std::string& must_mention) {
        const auto r = run_digitnet("train --device cpu --iters 2 --save " + quote(model) + " " + arguments);
        EXPECT_EQ(r.exit_code, 2) << arguments << "\n" << r.err;
        EXPECT_EQ(lines(r.err), 1) << r.err;
        EXPECT_NE(r.err.find(must_mention), std::string::npos) << "expected '" << must_mention << "' in: " << r.err;
        EXPECT_EQ(testing::read_file(model), sentinel) << "the output file was touched";
        EXPECT_EQ(r.err.find("nan"), std::string::npos);
    }

    std::string data_file(const std::vector<testing::MatVariable>& variables, const std::string& name = "data.mat") {
        std::string path = dir.file(name);
        testing::write_mat(path, variables);
        return path;
    }
};

TEST_F(BadInput, MissingFile) {
    expect_rejected("--data " + quote(dir.file("absent.mat")), "absent.mat: no such file");
}

TEST_F(BadInput, DirectoryInsteadOfFile) { expect_rejected("--data " + quote(dir.path().string()), "is a directory"); }

TEST_F(BadInput, UnreadableFile) {
    if (::geteuid() == 0) GTEST_SKIP() << "root can read any file";
    const std::string path = data_file(testing::small_data_variables(5, 4, 2));
    ::chmod(path.c_str(), 0);
    expect_rejected("--data " + quote(path), "cannot be read");
}

TEST_F(BadInput, NotAMatFile) {
    testing::write_file(dir.file("text.mat"), "hello, this is not a MATLAB file\n");
    expect_rejected("--data " + quote(dir.file("text.mat")), "not a MATLAB .mat file");
}

TEST_F(BadInput, NoX) {
    auto v = testing::small_data_variables(5, 4, 2);
    expect_rejected("--data " + quote(data_file({v[1]})), "no variable X");
}

TEST_F(BadInput, NoY) {
    auto v = testing::small_data_variables(5, 4, 2);
    expect_rejected("--data " + quote(data_file({v[0]})), "no variable y");
}

TEST_F(BadInput, XAndYOfDifferentLengths) {
    auto v = testing::small_data_variables(5, 4, 2);
    v[1].values = Matrix<double>(4, 1, 1.0);
    expect_rejected("--data " + quote(data_file(v)), "5 examples but y has 4 labels");
}

TEST_F(BadInput, LabelZero) {
    auto v = testing::small_data_variables(5, 4, 2);
    v[1].values(2, 0) = 0;
    expect_rejected("--data " + quote(data_file(v)), "not a whole number in 1..K");
}

TEST_F(BadInput, FractionalLabel) {
    auto v = testing::small_data_variables(5, 4, 2);
    v[1].values(2, 0) = 1.5;
    expect_rejected("--data " + quote(data_file(v)), "example 3");
}

TEST_F(BadInput, NanInX) {
    auto v = testing::small_data_variables(5, 4, 2);
    v[0].values(3, 1) = std::nan("");
    expect_rejected("--data " + quote(data_file(v)), "X has a NaN at row 4, column 2");
}

TEST_F(BadInput, InfInX) {
    auto v = testing::small_data_variables(5, 4, 2);
    v[0].values(0, 0) = -INFINITY;
    expect_rejected("--data " + quote(data_file(v)), "infinite value at row 1, column 1");
}

TEST_F(BadInput, EmptyData) {
    expect_rejected("--data " + quote(data_file({{"X", Matrix<double>(0, 4)}, {"y", Matrix<double>(0, 1)}})), "empty");
}

TEST_F(BadInput, WeightsThatDoNotFitTheData) {
    const std::string weights = dir.file("small.mat");
    save_weights(weights, random_parameters(make_layout(30, {5}, 10), 1));
    expect_rejected("--init " + quote(weights), "takes 30 inputs");
}

TEST_F(BadInput, WeightsWhoseShapesDoNotChain) {
    const std::string weights = dir.file("broken.mat");
    testing::write_mat(weights, {{"Theta1", Matrix<double>(25, 401, 0.1)}, {"Theta2", Matrix<double>(10, 30, 0.1)}});
    expect_rejected("--init " + quote(weights), "Theta2 has 30 columns");
}

TEST_F(BadInput, NegativeLambda) { expect_rejected("--lambda -1", "--lambda"); }
TEST_F(BadInput, ZeroAlpha) { expect_rejected("--alpha 0", "--alpha"); }
TEST_F(BadInput, NegativeAlpha) { expect_rejected("--alpha -0.5", "--alpha"); }
TEST_F(BadInput, ZeroIterations) { expect_rejected("--iters 0", "--iters"); }
TEST_F(BadInput, HiddenSizeZero) { expect_rejected("--hidden 25,0", "--hidden"); }
TEST_F(BadInput, UnknownFlag) { expect_rejected("--frobnicate 3", "frobnicate"); }
TEST_F(BadInput, NotANumber) { expect_rejected("--alpha fast", "--alpha"); }

TEST_F(BadInput, CostWithNegativeLambdaTouchesNoGradientFile) {
    const auto r = run_digitnet("cost --device cpu --lambda -2 --model " + quote(model) + " --grad " + quote(model));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(testing::read_file(model), sentinel);
}

TEST_F(BadInput, ModelThatIsNotAMatFile) {
    const auto r = run_digitnet("predict --device cpu --model " + quote(model));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("model.mat: not a MATLAB"), std::string::npos) << r.err;
}

TEST(Cli, MissingSubcommandIsAUsageError) { EXPECT_EQ(run_digitnet("").exit_code, 2); }

}  // namespace
}  // namespace digitnet
