// The command line on every data format: train and predict with --test-data on IDX and CSV,
// one-line errors naming the file, show and gradcheck reading IDX.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "data_format_files.hpp"
#include "digitnet/io/mat_io.hpp"
#include "test_util.hpp"

namespace digitnet {
namespace {

using nlohmann::json;
using testing::csv_of;
using testing::learnable_set;
using testing::quote;
using testing::TempDir;
using testing::write_file;
using testing::write_idx_pair;

TEST(DataFormatsCli, TrainOnIdxWithTestDataAndPredict) {
    TempDir dir;
    const std::string train = write_idx_pair(dir, "train", learnable_set(200, 1), true, true);
    const std::string test = write_idx_pair(dir, "test", learnable_set(100, 2), false, false);
    const auto r =
        testing::run_digitnet("train --device cpu --iters 60 --alpha 2 --lambda 0.1 --hidden 8 --json --data " +
                              quote(train) + " --test-data " + quote(test) + " --save " + quote(dir.file("m.mat")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json out = json::parse(r.out);
    EXPECT_EQ(out["layout"], "16-8-4");
    ASSERT_TRUE(out.contains("test_accuracy"));
    EXPECT_GT(out["test_accuracy"].get<double>(), 0.9);
    EXPECT_EQ(out["test_data"], test);

    // predict: --test-data makes --set test the default; labels are the digits as they are.
    const auto p = testing::run_digitnet("predict --device cpu --json --model " + quote(dir.file("m.mat")) +
                                         " --test-data " + quote(test));
    ASSERT_EQ(p.exit_code, 0) << p.err;
    const json predicted = json::parse(p.out);
    EXPECT_EQ(predicted["set"], "test");
    EXPECT_EQ(predicted["examples"], 100);
    EXPECT_EQ(predicted["labels"], json::array({0, 1, 2, 3}));
    EXPECT_DOUBLE_EQ(predicted["accuracy"].get<double>(), out["test_accuracy"].get<double>());
    // With --data as well, the test set must fit it; --set train with --test-data is a usage error.
    EXPECT_EQ(testing::run_digitnet("predict --device cpu --model " + quote(dir.file("m.mat")) + " --data " +
                                    quote(train) + " --test-data " + quote(test))
                  .exit_code,
              0);
    const auto wrong_set = testing::run_digitnet("predict --device cpu --set train --model " +
                                                 quote(dir.file("m.mat")) + " --test-data " + quote(test));
    EXPECT_EQ(wrong_set.exit_code, 2);
    EXPECT_NE(wrong_set.err.find("--test-data"), std::string::npos) << wrong_set.err;
}

TEST(DataFormatsCli, TrainOnCsvWithCsvTestData) {
    TempDir dir;
    write_file(dir.file("train.csv"), csv_of(learnable_set(150, 3)));
    write_file(dir.file("test.csv"), csv_of(learnable_set(50, 4)));
    const auto r = testing::run_digitnet("train --device cpu --iters 5 --hidden 6 --json --data " +
                                         quote(dir.file("train.csv")) + " --test-data " + quote(dir.file("test.csv")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json out = json::parse(r.out);
    EXPECT_EQ(out["examples"], 150);
    EXPECT_EQ(out["layout"], "16-6-4");
    ASSERT_TRUE(out.contains("test_accuracy"));
    EXPECT_GE(out["test_accuracy"].get<double>(), 0.0);
    EXPECT_LE(out["test_accuracy"].get<double>(), 1.0);
}

TEST(DataFormatsCli, BadInputsAreOneLineNamingTheFile) {
    TempDir dir;
    const std::string train = write_idx_pair(dir, "train", learnable_set(40, 5), false, false);
    auto expect_error = [](const testing::RunResult& r, const std::string& file, const std::string& words) {
        EXPECT_EQ(r.exit_code, 2) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
        EXPECT_NE(r.err.find(file), std::string::npos) << r.err;
        EXPECT_NE(r.err.find(words), std::string::npos) << r.err;
        EXPECT_TRUE(r.out.empty()) << r.out;
    };
    // Test data of another size.
    write_file(dir.file("t.csv"), "label,a,b\n1,0,0\n");
    expect_error(testing::run_digitnet("train --device cpu --iters 2 --data " + quote(train) + " --test-data " +
                                       quote(dir.file("t.csv"))),
                 dir.file("t.csv"), "features");
    // A model whose input layer does not fit the data (the seed's 400 inputs against 16 features).
    save_weights(dir.file("seed.mat"), random_parameters(make_layout(400, {25}, 10), 1));
    expect_error(testing::run_digitnet("train --device cpu --iters 2 --data " + quote(train) + " --init " +
                                       quote(dir.file("seed.mat"))),
                 dir.file("seed.mat"), "400 inputs");
    expect_error(testing::run_digitnet("predict --device cpu --model " + quote(dir.file("seed.mat")) + " --data " +
                                       quote(train)),
                 dir.file("seed.mat"), "16 features");
    // A broken CSV cell.
    write_file(dir.file("bad.csv"), "label,a\n1,300\n");
    expect_error(testing::run_digitnet("train --device cpu --iters 2 --data " + quote(dir.file("bad.csv"))),
                 dir.file("bad.csv"), "line 2");
    // --set test on a file with no test set.
    expect_error(testing::run_digitnet("predict --device cpu --set test --model " + quote(dir.file("seed.mat")) +
                                       " --data " + quote(train)),
                 train, "--test-data");
}

TEST(DataFormatsCli, ShowAndGradcheckReadIdx) {
    TempDir dir;
    const std::string train = write_idx_pair(dir, "train", learnable_set(30, 6), true, true);
    const auto shown =
        testing::run_digitnet("show --json --count 9 --data " + quote(train) + " --out " + quote(dir.file("d.png")));
    ASSERT_EQ(shown.exit_code, 0) << shown.err;
    EXPECT_EQ(json::parse(shown.out)["width"], (1 + 3 * 5) * 3);  // 3 tiles of 4 pixels, 1-pixel borders, zoom 3
    // The hidden units of a model trained on row-major data are drawn row-major without --data too.
    ASSERT_EQ(testing::run_digitnet("train --device cpu --iters 2 --hidden 4 --data " + quote(train) + " --save " +
                                    quote(dir.file("m.mat")))
                  .exit_code,
              0);
    ASSERT_EQ(testing::run_digitnet("show --model " + quote(dir.file("m.mat")) + " --out " + quote(dir.file("a.png")))
                  .exit_code,
              0);
    ASSERT_EQ(testing::run_digitnet("show --model " + quote(dir.file("m.mat")) + " --data " + quote(train) + " --out " +
                                    quote(dir.file("b.png")))
                  .exit_code,
              0);
    EXPECT_EQ(testing::read_file(dir.file("a.png")), testing::read_file(dir.file("b.png")));
    const auto checked = testing::run_digitnet("gradcheck --device cpu --json --examples 5 --data " + quote(train));
    ASSERT_EQ(checked.exit_code, 0) << checked.out << checked.err;
    EXPECT_LT(json::parse(checked.out)["relative_difference"].get<double>(), 1e-9);
}

}  // namespace
}  // namespace digitnet
