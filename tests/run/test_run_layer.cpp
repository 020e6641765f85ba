// The run layer's rules (run/settings.hpp, request.hpp, checks.hpp, run.hpp): each one checked
// here once, for every door that goes through it.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <set>

#include "digitnet/errors.hpp"
#include "digitnet/io/data_loader.hpp"
#include "digitnet/io/model_file.hpp"
#include "digitnet/io/system_memory.hpp"
#include "digitnet/run/checks.hpp"
#include "digitnet/run/run.hpp"
#include "test_util.hpp"

namespace digitnet {
namespace {

using run::Door;
using run::Setting;

std::string error_of(const std::function<void()>& step) {
    try {
        step();
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(Settings, EveryRowIsSpelledAtEveryDoorAndFoundByItsName) {
    std::set<std::string> cli, python;
    for (const run::SettingSpelling& s : run::settings_table()) {
        EXPECT_TRUE(cli.insert(s.cli).second) << s.cli;
        EXPECT_TRUE(python.insert(s.python).second) << s.python;
        EXPECT_EQ(run::setting_named(s.cli, Door::Cli), s.setting);
        EXPECT_EQ(run::setting_named(s.python, Door::Python), s.setting);
        if (s.page) {
            EXPECT_EQ(run::setting_named(s.page, Door::Page), s.setting);
        }
        // Every optimizer option reaches the page too.
        if (!s.optimizers.empty()) {
            EXPECT_NE(s.page, nullptr) << s.cli;
        }
    }
}

TEST(Settings, TheOneOptimizerParser) {
    EXPECT_EQ(run::parse_optimizer("gd", Door::Cli), Optimizer::GradientDescent);
    EXPECT_EQ(run::parse_optimizer("cg", Door::Python), Optimizer::ConjugateGradient);
    EXPECT_EQ(run::parse_optimizer("adam", Door::Page), Optimizer::Adam);
    EXPECT_TRUE(
        has(error_of([] { run::parse_optimizer("sgd", Door::Cli); }), "--optimizer must be one of gd, cg, adam"));
    EXPECT_EQ(run::optimizer_names(), (std::vector<std::string>{"gd", "cg", "adam"}));
}

TEST(Settings, AnOptionOfAnotherOptimizerIsRefusedInTheDoorsWords) {
    const auto refused = [](Optimizer o, Setting s, Door d) {
        return error_of([&] { run::check_options_apply(o, {s}, d); });
    };
    EXPECT_EQ(refused(Optimizer::GradientDescent, Setting::LearningRate, Door::Cli),
              "--lr is an option of --optimizer adam, not of gd, which would ignore it");
    EXPECT_EQ(refused(Optimizer::GradientDescent, Setting::Epochs, Door::Python),
              "epochs is an option of optimizer=adam, not of gd, which would ignore it");
    EXPECT_TRUE(has(refused(Optimizer::Adam, Setting::Alpha, Door::Page), "alpha is an option of optimizer gd"));
    EXPECT_TRUE(
        has(refused(Optimizer::Adam, Setting::Iterations, Door::Cli), "--iters is an option of --optimizer gd and cg"));
    EXPECT_EQ(refused(Optimizer::ConjugateGradient, Setting::Iterations, Door::Cli), "");
    EXPECT_EQ(refused(Optimizer::GradientDescent, Setting::Lambda, Door::Cli), "");  // every optimizer's
}

TEST(Request, NumbersAndNamesAreCheckedInOnePlace) {
    const auto refused = [](const std::function<void(run::RunRequest&)>& change, Door door = Door::Cli) {
        run::RunRequest r;
        r.door = door;
        change(r);
        return error_of([&] { run::validate_request(r); });
    };
    EXPECT_EQ(refused([](run::RunRequest&) {}), "");
    EXPECT_TRUE(has(refused([](run::RunRequest& r) { r.optimizer.alpha = 0; }), "--alpha must be positive"));
    EXPECT_TRUE(has(refused([](run::RunRequest& r) { r.lambda = -1; }, Door::Python), "lambda_: must be zero"));
    EXPECT_TRUE(has(refused([](run::RunRequest& r) { r.optimizer.iterations = 0; }), "--iters must be at least 1"));
    EXPECT_TRUE(has(refused([](run::RunRequest& r) { r.save = ""; }), "--save: the file name is empty"));
    EXPECT_TRUE(has(refused([](run::RunRequest& r) { r.save = std::string("victim.csv\0.mat", 15); }, Door::Python),
                    "path: the file name holds a NUL byte"));
    EXPECT_TRUE(has(refused([](run::RunRequest& r) { r.checkpoint_every = 5; }), "--checkpoint-every needs --save"));
}

TEST(Request, OptionsByNameAreWholeNumbersBelow2To31) {
    run::OptimizerSettings settings;
    run::set_optimizer_option(settings, Setting::Iterations, 40, Door::Python);
    EXPECT_EQ(settings.iterations, 40);
    EXPECT_EQ(settings.given, std::vector<Setting>{Setting::Iterations});
    EXPECT_TRUE(has(error_of([&] { run::set_optimizer_option(settings, Setting::Epochs, 2147483648.0, Door::Python); }),
                    "epochs: must be a whole number below 2^31"));
    EXPECT_TRUE(has(error_of([&] { run::set_optimizer_option(settings, Setting::Batch, 1.5, Door::Page); }), "batch"));
}

TEST(Checks, TooLittleMemoryIsSaidBeforeAnyAllocation) {
    if (!available_memory_bytes()) GTEST_SKIP() << "this machine does not say how much memory it has";
    const Layout huge = make_layout(400, {10000000}, 10);  // 4e9 parameters
    const std::string message =
        error_of([&] { run::check_memory_for(huge, 5000, Device::Cpu, Precision::Float, nullptr, "hidden"); });
    EXPECT_TRUE(has(message, "needs about")) << message;
    EXPECT_TRUE(has(message, "(hidden)")) << message;
}

TEST(Checks, NonRegularInputsAreRefusedWithoutBlocking) {
    testing::TempDir dir;
    const std::string fifo = dir.file("fifo");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(has(error_of([&] { run::check_readable_input(fifo, "--data"); }), "--data is a FIFO"));
    EXPECT_TRUE(has(error_of([&] { run::read_model(fifo, "--model"); }), "FIFO"));
    EXPECT_TRUE(has(error_of([&] { run::check_readable_input("/dev/null", "--image"); }), "a device"));
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
    EXPECT_EQ(error_of([&] { run::check_readable_input(dir.file("missing"), "--data"); }), "");  // the reader says
}

ModelFile small_model(int label_base) {
    ModelFile model;
    model.parameters = random_parameters(make_layout(400, {25}, 10), 1);
    model.info = default_model_info(400);
    model.info.label_base = label_base;
    return model;
}

TEST(Checks, AModelOfTheOtherLabelConventionIsRefused) {
    const DataFile digits = load_data(testing::digits20_path());  // ex4 labels 1..10
    EXPECT_EQ(error_of([&] { run::check_model_meets_data(small_model(1), "m.mat", digits.train); }), "");
    const std::string message = error_of([&] { run::check_model_meets_data(small_model(0), "m.mat", digits.train); });
    EXPECT_TRUE(has(message, "m.mat: the model was trained on labels that are the digits 0..9")) << message;
    EXPECT_TRUE(has(error_of([] {
                        run::check_labels_meet_model(0, 10, {3, 10}, "y");
                    }),
                    "y: label 10 of example 2 is not one of the model's labels 0..9"));
    EXPECT_EQ(error_of([] { run::check_labels_meet_model(1, 10, {1, 10}, "y"); }), "");
}

TEST(Checks, MetadataIsCheckedOnWriteAndKeptThroughReadAndWrite) {
    testing::TempDir dir;
    const std::string path = dir.file("model.mat");
    ModelFile model = small_model(1);
    model.info.digit_box = 14.5;
    model.info.centre_row = 9.75;
    model.info.centre_col = 10.25;
    run::write_model(path, "--save", model, {});
    const ModelFile back = run::read_model(path, "--model");
    EXPECT_EQ(back.info.digit_box, 14.5);
    EXPECT_EQ(back.info.centre_row, 9.75);
    EXPECT_EQ(back.info.centre_col, 10.25);
    const std::string before = testing::read_file(path);
    for (const auto& [change, words] : std::vector<std::pair<std::function<void(ModelInfo&)>, std::string>>{
             {[](ModelInfo& i) { i.label_base = 2; }, "label_base is 2"},
             {[](ModelInfo& i) { i.label_base = -5; }, "label_base is -5"},
             {[](ModelInfo& i) {
                  i.image = {3, 3, true};
              },
              "3 x 3 but the model takes 400 inputs"},
             {[](ModelInfo& i) { i.ink = i.background; }, "two different finite numbers"}}) {
        ModelFile bad = model;
        change(bad.info);
        const std::string message = error_of([&] { run::write_model(path, "path", bad, {}); });
        EXPECT_TRUE(has(message, words)) << message;
        EXPECT_EQ(testing::read_file(path), before);
    }
}

TEST(Checks, AModelIsNeverWrittenOverAnInputOrTheEmbeddedDataSet) {
    testing::TempDir dir;
    const std::string data = dir.file("data.mat");
    testing::write_file(data, testing::read_file(testing::digits20_path()));
    EXPECT_TRUE(has(error_of([&] {
                        run::write_model(data, "path", small_model(1), {{"load_data", data}});
                    }),
                    "would destroy the input"));
    EXPECT_TRUE(has(error_of([&] { run::write_model(testing::digits20_path(), "path", small_model(1), {}); }),
                    "embedded data set"));
    EXPECT_EQ(testing::read_file(data), testing::read_file(testing::digits20_path()));
}

TEST(Divergence, TheHintNamesTheSettingAsTheDoorSpellsIt) {
    run::RunRequest r;
    r.optimizer.optimizer = Optimizer::Adam;
    r.optimizer.learning_rate = 5;
    r.door = Door::Cli;
    EXPECT_TRUE(has(run::divergence_message(r, 100, 3, NAN, 1.0), "try a smaller --lr (5)"));
    r.door = Door::Python;
    EXPECT_TRUE(has(run::divergence_message(r, 100, 3, NAN, 1.0), "try a smaller learning_rate (5)"));
    r.door = Door::Page;
    EXPECT_TRUE(has(run::divergence_message(r, 100, 3, NAN, 1.0), "try a smaller lr (5)"));
    r.optimizer.optimizer = Optimizer::GradientDescent;
    r.door = Door::Python;
    EXPECT_TRUE(has(run::divergence_message(r, 100, 3, INFINITY, 1.0), "try a smaller alpha (0.8)"));
}

TEST(Run, InMemoryDataTrainsAndAFailingCheckpointIsReportedNotFatal) {
    const DataFile digits = load_data(testing::digits20_path());
    testing::TempDir dir;
    run::RunRequest r;
    r.door = Door::Python;
    r.network.hidden = {8};
    r.optimizer.iterations = 6;
    r.device = Device::Cpu;
    r.save = dir.file("missing-folder/model.mat");  // checked before the run in check_outputs...
    r.checkpoint_every = 2;
    auto single = make_single_process_communicator();
    run::RunInputs inputs;
    inputs.train = &digits.train;
    EXPECT_TRUE(has(error_of([&] { run::run_request(r, *single, inputs); }), "model.mat"));
    // ...so make the checkpoints fail during the run: every write's rename fails.
    r.save = dir.file("model.mat");
    r.history = dir.file("history.csv");
    int checkpoints = 0;
    run::RunHooks hooks;
    hooks.on_checkpoint = [&](Backend&, const Parameters&, int) {
        ++checkpoints;
        fail_output_call_for_testing(1, ENOSPC);  // the next checkpoint's first write
    };
    fail_output_call_for_testing(1, ENOSPC);
    const run::RunResult result = run::run_request(r, *single, inputs, hooks);
    fail_output_call_for_testing(0, 0);
    EXPECT_GE(checkpoints, 2);  // at 2 and 4 (and 6 where the loop ends on one)
    EXPECT_EQ(result.history.size(), 6u);
    ASSERT_GE(result.output_failures.size(), 2u);
    EXPECT_TRUE(has(result.output_failures[0], "the checkpoint at iteration 2 was not written"))
        << result.output_failures[0];
    EXPECT_TRUE(has(result.output_failures[0], "training goes on"));
    EXPECT_TRUE(std::filesystem::exists(dir.file("history.csv")) || has(result.output_failures.back(), "history.csv"));
    EXPECT_GT(result.train_accuracy, 0.0);
}

}  // namespace
}  // namespace digitnet
