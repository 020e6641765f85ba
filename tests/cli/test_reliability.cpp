// Issue 6: interrupts and checkpoints, divergence and saturation, determinism, concurrent saves.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "digitnet/cpu/cpu_backend.hpp"
#include "digitnet/io/mat_io.hpp"
#include "digitnet/train/trainer.hpp"
#include "test_util.hpp"

extern char** environ;

namespace digitnet {
namespace {

using nlohmann::json;
using testing::run_digitnet;
using testing::TempDir;

using testing::quote;

// Starts digitnet with the arguments, stdout and stderr going to files; returns its pid.
pid_t spawn_digitnet(const std::vector<std::string>& arguments, const std::string& out, const std::string& err) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<std::string> words{DIGITNET_BINARY};
    words.insert(words.end(), arguments.begin(), arguments.end());
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, DIGITNET_BINARY, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    return rc == 0 ? pid : -1;
}

int wait_exit_code(pid_t pid) {
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

class InterruptedTraining : public ::testing::TestWithParam<int> {};

TEST_P(InterruptedTraining, StopsSavesAndExits130) {
    const int signal_number = GetParam();
    TempDir dir;
    const std::string model = dir.file("model.mat"), out = dir.file("out"), err = dir.file("err");
    // Far more iterations than can finish before the signal comes. The first checkpoint says the
    // run is past loading and inside the training loop, however busy the machine is.
    const pid_t pid = spawn_digitnet(
        {"train", "--device", "cpu", "--iters", "1000000", "--checkpoint-every", "20", "--save", model}, out, err);
    ASSERT_GT(pid, 0);
    for (int waited = 0; waited < 600 && !std::filesystem::exists(model); ++waited)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_TRUE(std::filesystem::exists(model)) << "no checkpoint within a minute";
    kill(pid, signal_number);
    EXPECT_EQ(wait_exit_code(pid), 130);
    const std::string message = testing::read_file(err);
    EXPECT_NE(message.find("interrupted after"), std::string::npos) << message;
    EXPECT_NE(message.find("model saved to"), std::string::npos) << message;
    // The saved model is whole and has learned something: its cost is below the start's.
    const Parameters saved = load_weights(model);
    EXPECT_EQ(saved.layout.describe(), "400-25-10");
    const auto cost_saved = json::parse(run_digitnet("cost --device cpu --json --model " + quote(model)).out);
    const auto start = run_digitnet("train --device cpu --iters 1 --json");
    EXPECT_LT(cost_saved["cost"].get<double>(), json::parse(start.out)["final_cost"].get<double>());
}

INSTANTIATE_TEST_SUITE_P(Signals, InterruptedTraining, ::testing::Values(SIGINT, SIGTERM),
                         [](const auto& test) { return std::string(test.param == SIGINT ? "SIGINT" : "SIGTERM"); });

TEST(Checkpoints, AreTakenEveryNIterations) {
    const Dataset data = testing::random_dataset(30, 5, 3, 1);
    auto backend = testing::training_cpu_backend(Precision::Double, make_layout(5, {4}, 3), data);
    backend->set_parameters(random_parameters(backend->layout(), 2));
    TrainingPlan plan;
    plan.gradient_descent = {10, 0.5};
    plan.lambda = 1.0;
    plan.checkpoint_every = 4;
    std::vector<int> taken;
    plan.on_checkpoint = [&](const Parameters& p, int done) {
        taken.push_back(done);
        EXPECT_EQ(p.layout, backend->layout());
    };
    const TrainingOutcome outcome = run_gradient_descent(*backend, plan);
    EXPECT_EQ(outcome.history.size(), 10u);
    EXPECT_EQ(taken, (std::vector<int>{4, 8}));
    EXPECT_FALSE(outcome.interrupted);
    EXPECT_FALSE(outcome.diverged_at.has_value());
}

TEST(Checkpoints, ResumingWithInitContinuesTheSameRun) {
    TempDir dir;
    const std::string half = dir.file("half.mat"), whole = dir.file("whole.mat"), resumed = dir.file("resumed.mat");
    ASSERT_EQ(run_digitnet("train --device cpu --iters 10 --save " + quote(whole)).exit_code, 0);
    ASSERT_EQ(run_digitnet("train --device cpu --iters 5 --checkpoint-every 2 --save " + quote(half)).exit_code, 0);
    ASSERT_EQ(
        run_digitnet("train --device cpu --iters 5 --init " + quote(half) + " --save " + quote(resumed)).exit_code, 0);
    // Float weights survive the double file exactly, so the resumed run is the same run.
    EXPECT_EQ(load_weights(resumed).values, load_weights(whole).values);
}

TEST(Checkpoints, NeedASaveFile) {
    const auto r = run_digitnet("train --device cpu --iters 5 --checkpoint-every 2");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--save"), std::string::npos) << r.err;
}

TEST(Divergence, StopsNamesTheIterationAndKeepsTheOldModel) {
    TempDir dir;
    const std::string model = dir.file("model.mat");
    save_weights(model, random_parameters(make_layout(400, {25}, 10), 9));
    const std::string before = testing::read_file(model);
    const auto r = run_digitnet("train --device cpu --iters 50 --alpha 1e30 --save " + quote(model));
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.exit_code, 130);
    EXPECT_NE(r.err.find("diverged"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("at iteration "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("smaller --alpha"), std::string::npos) << r.err;
    EXPECT_EQ(testing::read_file(model), before) << "the existing model was overwritten";
}

TEST(Divergence, TheLibraryReportsTheFirstNonFiniteIteration) {
    const Dataset data = testing::random_dataset(40, 6, 3, 5);
    auto backend = testing::training_cpu_backend(Precision::Float, make_layout(6, {5}, 3), data);
    backend->set_parameters(random_parameters(backend->layout(), 1));
    TrainingPlan plan;
    plan.gradient_descent = {100, 1e30};
    plan.lambda = 1.0;
    const TrainingOutcome outcome = run_gradient_descent(*backend, plan);
    ASSERT_TRUE(outcome.diverged_at.has_value());
    EXPECT_LT(*outcome.diverged_at, 100) << "training must stop when the cost stops being finite";
    EXPECT_EQ(outcome.history.size(), static_cast<std::size_t>(*outcome.diverged_at));
    EXPECT_FALSE(std::isfinite(outcome.history.back()));
}

TEST(Saturation, HugeButFiniteWeightsKeepTheCostFinite) {
    for (Precision precision : {Precision::Float, Precision::Double}) {
        // alpha * lambda / m < 2, so the weight decay itself does not blow up: what grows is the
        // data term, which drives the outputs deep into saturation.
        const Dataset data = testing::random_dataset(600, 8, 3, 3);
        auto backend = testing::training_cpu_backend(precision, make_layout(8, {6}, 3), data);
        backend->set_parameters(random_parameters(backend->layout(), 4));
        const std::vector<double> history = testing::gradient_descent(*backend, {40, 1000.0, 1.0}, {});
        for (double cost : history) EXPECT_TRUE(std::isfinite(cost)) << to_string(precision);
        double largest = 0;
        for (double w : backend->parameters().values) {
            EXPECT_TRUE(std::isfinite(w));
            largest = std::max(largest, std::abs(w));
        }
        EXPECT_GT(largest, 100.0) << "the weights should have grown far enough to saturate the sigmoids";
        EXPECT_TRUE(std::isfinite(backend->cost_and_gradient(1.0, nullptr)));
    }
}

TEST(Determinism, SameSeedSameBitsOnTheCpu) {
    for (Precision precision : {Precision::Float, Precision::Double}) {
        const Dataset data = testing::random_dataset(301, 20, 4, 6);
        const Layout layout = make_layout(20, {9, 5}, 4);
        std::vector<double> histories[2];
        std::vector<double> weights[2];
        for (int run = 0; run < 2; ++run) {
            auto backend = testing::training_cpu_backend(precision, layout, data);
            backend->set_parameters(random_parameters(layout, 77));
            histories[run] = testing::gradient_descent(*backend, {25, 0.8, 1.0}, {});
            weights[run] = backend->parameters().values;
        }
        EXPECT_EQ(histories[0], histories[1]) << to_string(precision);
        EXPECT_EQ(weights[0], weights[1]) << to_string(precision);
    }
}

TEST(Determinism, SameSeedSameResultFromTheCommandLine) {
    TempDir dir;
    ASSERT_EQ(run_digitnet("train --device cpu --iters 20 --seed 5 --save " + quote(dir.file("a.mat")) + " --history " +
                           quote(dir.file("a.csv")))
                  .exit_code,
              0);
    ASSERT_EQ(run_digitnet("train --device cpu --iters 20 --seed 5 --save " + quote(dir.file("b.mat")) + " --history " +
                           quote(dir.file("b.csv")))
                  .exit_code,
              0);
    EXPECT_EQ(testing::read_file(dir.file("a.csv")), testing::read_file(dir.file("b.csv")));
    EXPECT_EQ(load_weights(dir.file("a.mat")).values, load_weights(dir.file("b.mat")).values);
}

TEST(ConcurrentSaves, LeaveOneWholeLoadableFile) {
    TempDir dir;
    const std::string model = dir.file("model.mat");
    // Two writers race to the same path many times; a reader checks every version it sees.
    const Parameters a = random_parameters(make_layout(100, {50}, 10), 1),
                     b = random_parameters(make_layout(100, {20, 7}, 10), 2);
    std::atomic<bool> done{false};
    auto writer = [&](const Parameters& p) {
        for (int i = 0; i < 40; ++i) save_weights(model, p);
    };
    std::thread first(writer, std::cref(a)), second(writer, std::cref(b));
    int reads = 0;
    std::thread reader([&] {
        while (!done) {
            if (!std::filesystem::exists(model)) continue;
            const Parameters p = load_weights(model);  // throws on a torn file
            EXPECT_TRUE(p.values == a.values || p.values == b.values);
            ++reads;
        }
    });
    first.join();
    second.join();
    done = true;
    reader.join();
    const Parameters last = load_weights(model);
    EXPECT_TRUE(last.values == a.values || last.values == b.values);
    EXPECT_GT(reads, 0);
    int files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) files += entry.is_regular_file();
    EXPECT_EQ(files, 1) << "temporary files were left behind";
}

TEST(ConcurrentSaves, TwoProcessesSavingTheSamePath) {
    TempDir dir;
    const std::string model = dir.file("model.mat");
    const pid_t one = spawn_digitnet({"train", "--device", "cpu", "--iters", "30", "--hidden", "10", "--save", model},
                                     dir.file("o1"), dir.file("e1"));
    const pid_t two = spawn_digitnet({"train", "--device", "cpu", "--iters", "30", "--hidden", "12", "--save", model},
                                     dir.file("o2"), dir.file("e2"));
    EXPECT_EQ(wait_exit_code(one), 0);
    EXPECT_EQ(wait_exit_code(two), 0);
    const std::string layout = load_weights(model).layout.describe();
    EXPECT_TRUE(layout == "400-10-10" || layout == "400-12-10") << layout;
}

}  // namespace
}  // namespace digitnet
