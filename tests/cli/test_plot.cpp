// scripts/plot draws cost curves and confusion matrices from digitnet's own outputs.
#include <gtest/gtest.h>

#include <cstdlib>

#include "test_util.hpp"

namespace digitnet {
namespace {

bool have_matplotlib() { return std::system("/usr/bin/python3 -c 'import matplotlib' >/dev/null 2>&1") == 0; }

int run_plot(const std::string& arguments) {
    const std::string command =
        std::string("'") + DIGITNET_SOURCE_DIR + "/scripts/plot' " + arguments + " >/dev/null 2>&1";
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool is_png(const std::string& path) {
    const std::string bytes = testing::read_file(path);
    return bytes.size() > 1000 && bytes.substr(1, 3) == "PNG";
}

TEST(Plot, CostCurvesOfTwoRunsOnOneChart) {
    if (!have_matplotlib()) GTEST_SKIP() << "no python3-matplotlib";
    testing::TempDir dir;
    const std::string a = dir.file("a.csv"), b = dir.file("b.csv"), out = dir.file("cost.png");
    ASSERT_EQ(testing::run_digitnet("train --device cpu --iters 15 --history '" + a + "'").exit_code, 0);
    ASSERT_EQ(testing::run_digitnet("train --device cpu --iters 15 --alpha 2 --history '" + b + "'").exit_code, 0);
    EXPECT_EQ(run_plot("cost --out '" + out + "' '" + a + "' '" + b + "' --labels slow fast"), 0);
    EXPECT_TRUE(is_png(out));
}

TEST(Plot, ConfusionMatrixFromPredictJson) {
    if (!have_matplotlib()) GTEST_SKIP() << "no python3-matplotlib";
    testing::TempDir dir;
    const std::string model = dir.file("m.mat"), json = dir.file("p.json"), out = dir.file("confusion.png");
    ASSERT_EQ(testing::run_digitnet("train --device cpu --iters 10 --save '" + model + "'").exit_code, 0);
    const auto predicted = testing::run_digitnet("predict --device cpu --json --model '" + model + "'");
    ASSERT_EQ(predicted.exit_code, 0);
    testing::write_file(json, predicted.out);
    EXPECT_EQ(run_plot("confusion --out '" + out + "' '" + json + "'"), 0);
    EXPECT_TRUE(is_png(out));
}

TEST(Plot, BadInputIsAnErrorAndWritesNothing) {
    if (!have_matplotlib()) GTEST_SKIP() << "no python3-matplotlib";
    testing::TempDir dir;
    testing::write_file(dir.file("bad.csv"), "hello\n1,2\n");
    EXPECT_EQ(run_plot("cost --out '" + dir.file("x.png") + "' '" + dir.file("bad.csv") + "'"), 2);
    EXPECT_FALSE(std::filesystem::exists(dir.file("x.png")));
}

// Issue 10: a binary file is an error in words, not a traceback; an output is never an input.
TEST(Plot, BinaryInputAndOutputOverInputAreRefused) {
    if (!have_matplotlib()) GTEST_SKIP() << "no python3-matplotlib";
    testing::TempDir dir;
    const std::string model = dir.file("model.mat"), history = dir.file("gd.csv"), err = dir.file("err");
    ASSERT_EQ(testing::run_digitnet("train --device cpu --iters 3 --save '" + model + "' --history '" + history + "'")
                  .exit_code,
              0);
    const std::string script = std::string("'") + DIGITNET_SOURCE_DIR + "/scripts/plot' ";
    const int status =
        std::system((script + "cost --out '" + dir.file("x.png") + "' '" + model + "' 2>'" + err + "'").c_str());
    EXPECT_EQ(WEXITSTATUS(status), 2);
    EXPECT_EQ(testing::read_file(err).find("Traceback"), std::string::npos) << testing::read_file(err);
    std::filesystem::create_hard_link(history, dir.file("gd.png"));
    const std::string before = testing::read_file(history);
    EXPECT_EQ(run_plot("cost --out '" + dir.file("gd.png") + "' '" + history + "'"), 2);
    EXPECT_EQ(run_plot("cost --out '" + history + "' '" + history + "'"), 2);
    EXPECT_EQ(testing::read_file(history), before);
}

}  // namespace
}  // namespace digitnet
