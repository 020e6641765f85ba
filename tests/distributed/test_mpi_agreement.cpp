// Processes started differently (MPMD: `mpirun -np 1 digitnet A : -np 1 digitnet B`) agree before
// the first collective that depends on what they run: any difference in the subcommand, the
// request or the data ends every process with exit code 2 and one line naming the process and the
// field, nothing is saved, and nothing crashes or hangs (`timeout` would turn a hang into 124).
// Skipped where mpirun or MPI in the build is missing.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <sstream>

#include "digitnet/distributed/mpi_session.hpp"
#include "distributed/distributed_data.hpp"

namespace digitnet {
namespace {

namespace fs = std::filesystem;
using testing::quote;
using testing::TempDir;

bool have_mpirun() {
    if (!mpi_compiled_in()) return false;
    const char* path = std::getenv("PATH");
    std::stringstream folders(path ? path : "");
    for (std::string folder; std::getline(folders, folder, ':');)
        if (!folder.empty() && fs::exists(fs::path(folder) / "mpirun")) return true;
    return false;
}

#define SKIP_WITHOUT_MPIRUN() \
    if (!have_mpirun()) GTEST_SKIP() << "no mpirun on the PATH or no MPI in this build"

int count_of(const std::string& text, const std::string& part) {
    int count = 0;
    for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
    return count;
}

class MpiAgreement : public ::testing::Test {
protected:
    void SetUp() override {
        testing::write_idx(data_.path().string(), "train", testing::pattern_set(120, 8, 10, 1));
        testing::write_idx(other_.path().string(), "train", testing::pattern_set(120, 8, 10, 7));  // same size
        testing::write_idx(smaller_.path().string(), "train", testing::pattern_set(90, 8, 10, 1));
    }

    // One process per argument list, each its own digitnet command line (MPMD), as one shell line.
    testing::RunResult run(const std::vector<std::string>& per_process) {
        std::string line =
            "env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "
            "timeout 120 mpirun -q --oversubscribe";
        for (std::size_t i = 0; i < per_process.size(); ++i)
            line += std::string(i ? " :" : "") + " -np 1 " + quote(DIGITNET_BINARY) + " " + per_process[i];
        const std::string out = scratch_.file("stdout"), err = scratch_.file("stderr");
        const int status = std::system((line + " >" + quote(out) + " 2>" + quote(err) + " </dev/null").c_str());
        testing::RunResult result;
        result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        result.out = testing::read_file(out);
        result.err = testing::read_file(err);
        return result;
    }

    std::string train(const std::string& options, const std::string& data = "") {
        return "train --device cpu -q --iters 3 --data " + quote(data.empty() ? data_.path().string() : data) +
               " --save " + quote(model()) + " " + options;
    }
    std::string model() const { return saved_.file("model.mat"); }

    // Exit code 2 with one message, from rank 0 alone, naming `field` and process 1; no model.
    void expect_refused(const testing::RunResult& result, const std::string& field) {
        EXPECT_EQ(result.exit_code, 2) << result.err;
        EXPECT_EQ(count_of(result.err, "digitnet: "), 1) << result.err;
        EXPECT_NE(result.err.find("process 1 of 2"), std::string::npos) << result.err;
        EXPECT_NE(result.err.find(field), std::string::npos) << result.err;
        EXPECT_EQ(result.err.find("double free"), std::string::npos) << result.err;
        EXPECT_FALSE(fs::exists(model())) << "a model was written after the processes disagreed";
    }

    TempDir data_, other_, smaller_, saved_, scratch_;
};

TEST_F(MpiAgreement, TheSameRequestTrains) {
    SKIP_WITHOUT_MPIRUN();
    const auto result = run({train("--hidden 6"), train("--hidden 6")});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_TRUE(fs::exists(model()));
}

TEST_F(MpiAgreement, DifferentHiddenLayers) {
    SKIP_WITHOUT_MPIRUN();
    expect_refused(run({train("--hidden 25"), train("--hidden 30")}), "--hidden 30, process 0 has 25");
    expect_refused(run({train("--hidden 6"), train("--hidden 6,6")}), "--hidden");
}

TEST_F(MpiAgreement, DifferentActivationOrOutput) {
    SKIP_WITHOUT_MPIRUN();
    expect_refused(run({train("--hidden 6"), train("--hidden 6 --activation relu")}), "--activation relu");
    expect_refused(run({train("--hidden 6"), train("--hidden 6 --output softmax")}), "--output softmax");
}

TEST_F(MpiAgreement, DifferentSeedLambdaPrecisionOrOptimizer) {
    SKIP_WITHOUT_MPIRUN();
    expect_refused(run({train("--hidden 6 --seed 1"), train("--hidden 6 --seed 2")}), "--seed 2, process 0 has 1");
    expect_refused(run({train("--hidden 6"), train("--hidden 6 --lambda 0.5")}), "--lambda 0.5");
    expect_refused(run({train("--hidden 6"), train("--hidden 6 --precision double")}), "--precision double");
    expect_refused(run({train("--hidden 6"), train("--hidden 6 --optimizer cg")}), "--optimizer cg");
    expect_refused(run({train("--hidden 6 --alpha 0.5"), train("--hidden 6 --alpha 0.25")}), "--alpha 0.25");
}

TEST_F(MpiAgreement, DifferentDataOfTheSameSize) {
    SKIP_WITHOUT_MPIRUN();
    expect_refused(run({train("--hidden 6"), train("--hidden 6", other_.path().string())}), "--data contents");
}

TEST_F(MpiAgreement, DifferentDataSizes) {
    SKIP_WITHOUT_MPIRUN();
    expect_refused(run({train("--hidden 6"), train("--hidden 6", smaller_.path().string())}), "--data contents");
}

TEST_F(MpiAgreement, TestDataOnOneProcessOnly) {
    SKIP_WITHOUT_MPIRUN();
    const std::string test = " --test-data " + quote(other_.path().string());
    expect_refused(run({train("--hidden 6" + test), train("--hidden 6")}), "--test-data contents (none)");
    expect_refused(run({train("--hidden 6" + test), train("--hidden 6 --test-data " + quote(data_.path().string()))}),
                   "--test-data contents");
}

TEST_F(MpiAgreement, DifferentCheckpointsOrInit) {
    SKIP_WITHOUT_MPIRUN();
    expect_refused(run({train("--hidden 6 --checkpoint-every 1"), train("--hidden 6 --checkpoint-every 2")}),
                   "--checkpoint-every 2");
    const std::string init = saved_.file("init.mat");
    ASSERT_EQ(testing::run_digitnet("train --device cpu -q --iters 2 --hidden 6 --data " +
                                    quote(data_.path().string()) + " --save " + quote(init))
                  .exit_code,
              0);
    expect_refused(run({train("--init " + quote(init)), train("--hidden 6")}), "--hidden");
}

TEST_F(MpiAgreement, AMissingFileOnOneProcessIsOneMessage) {
    SKIP_WITHOUT_MPIRUN();
    const auto result = run({train("--hidden 6"), train("--hidden 6", "/nonexistent/data")});
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_EQ(count_of(result.err, "digitnet: "), 1) << result.err;
    EXPECT_NE(result.err.find("/nonexistent/data: no such file (on process 1 of 2)"), std::string::npos) << result.err;
    EXPECT_FALSE(fs::exists(model()));
}

TEST_F(MpiAgreement, DifferentSubcommandsNeverHang) {
    SKIP_WITHOUT_MPIRUN();
    expect_refused(run({train("--hidden 6"), "info"}), "the subcommand info, process 0 has train");
    expect_refused(run({"info", train("--hidden 6")}), "the subcommand train, process 0 has info");
    expect_refused(run({train("--hidden 6"), "--version"}), "the subcommand");
}

TEST_F(MpiAgreement, ArgumentsThatParseOnOneProcessOnly) {
    SKIP_WITHOUT_MPIRUN();
    const auto result = run({train("--hidden 6"), train("--hidden 6 --no-such-option")});
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_EQ(count_of(result.err, "digitnet: "), 1) << result.err;
    EXPECT_NE(result.err.find("--no-such-option"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("process 1 of 2"), std::string::npos) << result.err;
    EXPECT_FALSE(fs::exists(model()));
}

TEST_F(MpiAgreement, TheSameCommandThatUsesNoCollectivesRunsOnce) {
    SKIP_WITHOUT_MPIRUN();
    const auto result = run({"info --json", "info --json"});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(count_of(result.out, "\"version\""), 1) << result.out;
}

}  // namespace
}  // namespace digitnet
