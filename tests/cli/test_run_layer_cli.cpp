// The command line's side of issue 20: what it now shares with the other doors through the run
// layer (host/run/), and the smaller findings, one test each.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>

#include "digitnet/io/model_file.hpp"
#include "run_as.hpp"
#include "test_util.hpp"

namespace digitnet {
namespace {

namespace fs = std::filesystem;
using testing::quote;
using testing::run_digitnet;
using testing::TempDir;

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const std::string kDigitnet = std::string("'") + DIGITNET_BINARY + "' ";

// A 400-25-10 model of the given label convention (0: the digits 0..9; 1: ex4's 1..10).
void write_model_of_convention(const std::string& path, int label_base) {
    ModelFile model;
    model.parameters = random_parameters(make_layout(400, {25}, 10), 3);
    model.info = default_model_info(400);
    model.info.label_base = label_base;
    write_model_file(path, model);
}

TEST(RunLayer, AnEmptySaveNameIsAnError) {
    for (const char* option : {"--save", "--history", "--init"}) {
        const auto r = run_digitnet(std::string("train --device cpu --iters 2 ") + option + " ''");
        EXPECT_EQ(r.exit_code, 2) << option << "\n" << r.err;
        EXPECT_TRUE(has(r.err, std::string(option) + ": the file name is empty")) << r.err;
        EXPECT_FALSE(has(r.out, "trained")) << r.out;
    }
}

TEST(RunLayer, AFifoAsAnInputIsRefusedAtOnce) {
    TempDir dir;
    const std::string fifo = dir.file("fifo"), model = dir.file("model.mat");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    ASSERT_EQ(run_digitnet("train --device cpu --iters 1 --save " + quote(model)).exit_code, 0);
    for (const std::string& arguments :
         {"train --device cpu --iters 1 --data " + quote(fifo), "train --device cpu --iters 1 --init " + quote(fifo),
          "cost --device cpu --model " + quote(fifo), "predict --device cpu --model " + quote(fifo),
          "predict --device cpu --model " + quote(model) + " --image " + quote(fifo),
          "cost --device cpu --model " + quote(model) + " --data " + quote(fifo)}) {
        const auto start = std::chrono::steady_clock::now();
        const auto direct = run_digitnet(arguments);  // would block forever without the check
        EXPECT_EQ(direct.exit_code, 2) << arguments << "\n" << direct.err;
        EXPECT_TRUE(has(direct.err, "FIFO")) << direct.err;
        EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20)) << arguments;
    }
}

TEST(RunLayer, AFailingCheckpointIsReportedAndTheRunStillEnds) {
    TempDir dir;
    const std::string model = dir.file("model.mat"), history = dir.file("history.csv");
    ASSERT_EQ(run_digitnet("train --device cpu --iters 1 --save " + quote(model)).exit_code, 0);
    const std::string before = testing::read_file(model);
    // Files may not grow past 8 KiB: the ~45 KB checkpoints fail, the small history does not.
    const std::string out = dir.file("out"), err = dir.file("err");
    const int code = testing::in_child(testing::with_limit(RLIMIT_FSIZE, 8192), [&] {
        return testing::shell(kDigitnet + "train --device cpu --iters 6 --checkpoint-every 2 --save " + quote(model) +
                              " --history " + quote(history) + " >" + quote(out) + " 2>" + quote(err) + " </dev/null");
    });
    const std::string stdout_text = testing::read_file(out), stderr_text = testing::read_file(err);
    EXPECT_EQ(code, 1) << stderr_text;
    EXPECT_TRUE(has(stderr_text, "the checkpoint at iteration 2 was not written")) << stderr_text;
    EXPECT_TRUE(has(stderr_text, "the checkpoint at iteration 4 was not written")) << stderr_text;  // it went on
    EXPECT_TRUE(has(stdout_text, "final cost")) << stdout_text;                                     // the summary
    EXPECT_FALSE(has(stdout_text, "model saved")) << stdout_text;
    EXPECT_EQ(testing::read_file(model), before);  // the previous checkpoint stays
    const std::string rows = testing::read_file(history);
    EXPECT_TRUE(has(rows, "iteration,cost\n0,") && has(rows, "\n6,")) << rows;
}

TEST(RunLayer, AModelOfTheOtherLabelConventionIsRefusedByEveryCommand) {
    TempDir dir;
    const std::string digits_model = dir.file("digits09.mat");
    write_model_of_convention(digits_model, 0);
    for (const std::string& arguments :
         {"train --device cpu --iters 1 --init " + quote(digits_model),
          "cost --device cpu --model " + quote(digits_model), "predict --device cpu --model " + quote(digits_model)}) {
        const auto r = run_digitnet(arguments);
        EXPECT_EQ(r.exit_code, 2) << arguments << "\n" << r.err;
        EXPECT_TRUE(has(r.err, "the model was trained on labels that are the digits 0..9")) << r.err;
    }
    const std::string ex4_model = dir.file("ex4.mat");
    write_model_of_convention(ex4_model, 1);
    EXPECT_EQ(run_digitnet("cost --device cpu --model " + quote(ex4_model)).exit_code, 0);
}

TEST(RunLayer, EveryCommandTakesTheNetworkOptions) {
    TempDir dir;
    const std::string model = dir.file("model.mat");
    ASSERT_EQ(run_digitnet("train --device cpu --iters 2 --hidden 8,6 --activation relu --output softmax --save " +
                           quote(model))
                  .exit_code,
              0);
    EXPECT_EQ(run_digitnet("cost --device cpu --model " + quote(model) + " --hidden 8,6 --activation relu").exit_code,
              0);
    EXPECT_EQ(run_digitnet("predict --device cpu --model " + quote(model) + " --output softmax").exit_code, 0);
    const auto wrong = run_digitnet("cost --device cpu --model " + quote(model) + " --hidden 25");
    EXPECT_EQ(wrong.exit_code, 2);
    EXPECT_TRUE(has(wrong.err, "differ from --hidden")) << wrong.err;
    const auto other = run_digitnet("predict --device cpu --model " + quote(model) + " --activation tanh");
    EXPECT_EQ(other.exit_code, 2);
    EXPECT_TRUE(has(other.err, "not --activation tanh")) << other.err;
}

TEST(RunLayer, GradcheckChecksTheNetworkTheUserTrains) {
    const auto r = run_digitnet(
        "gradcheck --device cpu --examples 3 --hidden 6,4 --activation relu --output softmax --precision double "
        "--json");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(has(r.out, "400-6-4-10 relu softmax")) << r.out;
    EXPECT_TRUE(has(r.out, "3-5-5-3 relu softmax")) << r.out;
    EXPECT_TRUE(has(r.out, "\"passed\":true")) << r.out;
}

}  // namespace
}  // namespace digitnet
