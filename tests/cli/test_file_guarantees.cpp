// Issue 10, end to end: nothing lost (full disks, outputs that are inputs, devices, read-only
// files, Ctrl-C), nothing misleading (label conventions, truncated gzip, damaged models, uint8
// pixels, ignored options, the cost history), and bad input caught before the work.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "digitnet/errors.hpp"
#include "digitnet/io/mat_io.hpp"
#include "run_as.hpp"
#include "test_util.hpp"

namespace digitnet {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::quote;
using testing::run_digitnet;
using testing::TempDir;

const std::string kDigitnet = std::string("'") + DIGITNET_BINARY + "' ";

// digitnet with `arguments` in a child prepared by `prepare`; stdout and stderr go to files in `dir`.
testing::RunResult run_in_child(const TempDir& dir, const std::function<bool()>& prepare,
                                const std::string& arguments) {
    const std::string out = dir.file("child.out"), err = dir.file("child.err");
    testing::RunResult result;
    result.exit_code = testing::in_child(prepare, [&] {
        return testing::shell(kDigitnet + arguments + " >" + quote(out) + " 2>" + quote(err) + " </dev/null");
    });
    result.out = testing::read_file(out);
    result.err = testing::read_file(err);
    return result;
}

// An ordinary user who can run digitnet on the embedded data (else the child gives up).
std::function<bool()> ordinary_user() { return testing::as_ordinary_user({DIGITNET_BINARY, testing::digits20_path()}); }

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

int regular_files_in(const fs::path& folder) {
    int count = 0;
    for (const auto& entry : fs::directory_iterator(folder)) count += entry.is_regular_file();
    return count;
}

// ---- 1. a full disk is an error, and the previous file stays ----

TEST(FullDisk, SaveCheckpointAndGradientFailAndKeepThePreviousFiles) {
    TempDir dir;
    const std::string model = dir.file("keep.mat"), grad = dir.file("grad.mat");
    ASSERT_EQ(run_digitnet("train --device cpu --iters 2 --hidden 3 --save " + quote(model)).exit_code, 0);
    ASSERT_EQ(run_digitnet("cost --device cpu --model " + quote(model) + " --grad " + quote(grad)).exit_code, 0);
    const std::string model_before = testing::read_file(model), grad_before = testing::read_file(grad);
    // Files may not grow past 8 KiB: the 45 KB models and gradients cannot be written.
    const auto limited = testing::with_limit(RLIMIT_FSIZE, 8192);
    for (const std::string& arguments :
         {"train --device cpu --iters 3 --save " + quote(model),
          "train --device cpu --iters 4 --checkpoint-every 2 --save " + quote(model),
          "cost --device cpu --model " + quote(dir.file("other.mat")) + " --grad " + quote(grad)}) {
        if (has(arguments, "other.mat")) {
            ASSERT_EQ(run_digitnet("train --device cpu --iters 1 --save " + quote(dir.file("other.mat"))).exit_code, 0);
        }
        const auto r = run_in_child(dir, limited, arguments);
        EXPECT_EQ(r.exit_code, 1) << arguments << "\n" << r.err;
        EXPECT_TRUE(has(r.err, dir.path().string())) << r.err;
        EXPECT_FALSE(has(r.out, "model saved")) << r.out;
        EXPECT_EQ(testing::read_file(model), model_before) << arguments;
        EXPECT_EQ(testing::read_file(grad), grad_before) << arguments;
        fs::remove(dir.file("child.out"));
        fs::remove(dir.file("child.err"));
        EXPECT_EQ(regular_files_in(dir.path()), has(arguments, "other.mat") ? 3 : 2)
            << "a temporary file was left behind";
    }
}

TEST(FullDisk, ADevFullNodeIsAnErrorAndStaysADevice) {
    TempDir dir;
    const std::string full = dir.file("full");
    if (::mknod(full.c_str(), S_IFCHR | 0666, makedev(1, 7)) != 0) GTEST_SKIP() << "cannot make a device node here";
    const auto r =
        run_digitnet("train --device cpu --iters 2 --save " + quote(full) + " --history " + quote(dir.file("h.csv")));
    if (has(r.err, "Permission denied")) GTEST_SKIP() << "device nodes cannot be opened here (nodev)";
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_TRUE(has(r.err, std::strerror(ENOSPC))) << r.err;
    struct stat st {};
    ASSERT_EQ(::lstat(full.c_str(), &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode)) << "the device node was replaced";
    const auto g =
        run_digitnet("cost --device cpu --model " + quote(testing::digits20_path()) + " --grad " + quote(full));
    EXPECT_NE(g.exit_code, 0);
}

TEST(FullDisk, ATruncatedModelIsRefused) {
    TempDir dir;
    const std::string model = dir.file("m.mat"), cut = dir.file("cut.mat");
    ASSERT_EQ(run_digitnet("train --device cpu --iters 2 --save " + quote(model)).exit_code, 0);
    const std::string bytes = testing::read_file(model);
    for (std::size_t size : {std::size_t{24576}, bytes.size() / 2, bytes.size() - 3}) {
        testing::write_file(cut, bytes.substr(0, size));
        const auto r = run_digitnet("predict --device cpu --model " + quote(cut));
        EXPECT_EQ(r.exit_code, 2) << size << ": " << r.out;
    }
}

// ---- 2. outputs never overwrite inputs ----

TEST(OutputsAreNotInputs, EveryCommandRefusesBeforeWork) {
    TempDir dir;
    const std::string data = dir.file("d.mat"), model = dir.file("m.mat");
    fs::copy_file(testing::digits20_path(), data);
    ASSERT_EQ(run_digitnet("train --device cpu --iters 1 --save " + quote(model)).exit_code, 0);
    fs::create_hard_link(data, dir.file("d.png"));
    const std::string data_before = testing::read_file(data), model_before = testing::read_file(model);
    for (const std::string& arguments :
         {"train --device cpu --iters 1 --data " + quote(data) + " --save " + quote(data),
          "train --device cpu --iters 1 --data " + quote(data) + " --history " + quote(data),
          "train --device cpu --iters 1 --init " + quote(model) + " --save " + quote(dir.file("x.mat")) +
              " --history " + quote(model),
          "cost --device cpu --model " + quote(model) + " --grad " + quote(model),
          "show --data " + quote(data) + " --out " + quote(dir.file("d.png")),
          "train --device cpu --iters 1 --save " + quote(testing::digits20_path())}) {
        const auto r = run_digitnet(arguments);
        EXPECT_EQ(r.exit_code, 2) << arguments << "\n" << r.err;
        EXPECT_TRUE(has(r.err, "same file")) << r.err;
    }
    EXPECT_EQ(testing::read_file(data), data_before);
    EXPECT_EQ(testing::read_file(model), model_before);
}

// ---- 3 and 4. links, devices, read-only files ----

TEST(SpecialOutputs, DevNullNodeLinkAndReadOnlyFile) {
    TempDir dir;
    const std::string null_node = dir.file("null");
    if (::mknod(null_node.c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0) {
        const auto r = run_digitnet("train --device cpu --iters 1 --save " + quote(null_node));
        if (!has(r.err, "Permission denied")) {
            EXPECT_EQ(r.exit_code, 0) << r.err;
            struct stat st {};
            ::lstat(null_node.c_str(), &st);
            EXPECT_TRUE(S_ISCHR(st.st_mode)) << "--save replaced the device node";
        }
    }
    fs::create_directory(dir.path() / "models");
    fs::create_symlink("models/real.mat", dir.file("link.mat"));
    ASSERT_EQ(run_digitnet("train --device cpu --iters 1 --save " + quote(dir.file("link.mat"))).exit_code, 0);
    EXPECT_TRUE(fs::is_symlink(dir.file("link.mat")));
    EXPECT_EQ(load_weights(dir.file("models/real.mat")).layout.describe(), "400-25-10");

    ASSERT_EQ(::chmod(dir.path().c_str(), 0777), 0);
    const std::string locked = dir.file("locked.mat");
    testing::write_file(locked, "keep me");
    ASSERT_EQ(::chmod(locked.c_str(), 0444), 0);
    const auto r = run_in_child(dir, ordinary_user(), "train --device cpu --iters 1 --save " + quote(locked));
    if (r.exit_code == testing::kChildGaveUp) GTEST_SKIP() << "an ordinary user cannot run digitnet here";
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(has(r.err, "read-only")) << r.err;
    EXPECT_EQ(testing::read_file(locked), "keep me");
}

// ---- 5. Ctrl-C keeps the history and prints the summary ----

TEST(Interrupt, WritesTheHistorySoFarAndTheJsonMarkedInterrupted) {
    TempDir dir;
    const std::string model = dir.file("m.mat"), history = dir.file("h.csv"), out = dir.file("out"),
                      err = dir.file("err");
    const pid_t pid = ::fork();
    if (pid == 0) {
        // digitnet itself in the child (not a shell around it), so that it gets the signal.
        ::dup2(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 1);
        ::dup2(::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 2);
        ::execl(DIGITNET_BINARY, DIGITNET_BINARY, "train", "--device", "cpu", "--iters", "1000000",
                "--checkpoint-every", "20", "--json", "--history", history.c_str(), "--save", model.c_str(),
                static_cast<char*>(nullptr));
        ::_exit(127);
    }
    for (int waited = 0; waited < 600 && !fs::exists(model); ++waited)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_TRUE(fs::exists(model));
    ::kill(pid, SIGINT);
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_EQ(WEXITSTATUS(status), 130);
    const json summary = json::parse(testing::read_file(out));
    EXPECT_EQ(summary["interrupted"], true);
    const std::string csv = testing::read_file(history);
    ASSERT_TRUE(has(csv, "iteration,cost\n0,")) << csv;
    const long rows = std::count(csv.begin(), csv.end(), '\n') - 1;
    EXPECT_EQ(rows, summary["iterations"].get<long>() + 1);
}

// ---- 6-9: wrong answers given silently ----

TEST(WrongAnswers, PredictRefusesAModelOfTheOtherLabelConvention) {
    TempDir dir;
    const std::string model = dir.file("m.mat"), csv = dir.file("d.csv");
    ASSERT_EQ(run_digitnet("train --device cpu --iters 1 --save " + quote(model)).exit_code, 0);  // labels 1..10
    std::string text;
    for (int i = 0; i < 20; ++i) {
        text += std::to_string(i % 10);
        for (int p = 0; p < 400; ++p) (text += ',') += std::to_string((i * 7 + p) % 256);
        text += "\n";
    }
    testing::write_file(csv, text);
    const auto r = run_digitnet("predict --device cpu --model " + quote(model) + " --data " + quote(csv));
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_TRUE(has(r.err, "labels")) << r.err;
}

TEST(WrongAnswers, ATruncatedGzipIsAnError) {
    TempDir dir;
    std::string text;
    for (int i = 0; i < 400; ++i) {
        text += std::to_string(i % 10);
        for (int p = 0; p < 16; ++p) (text += ',') += std::to_string((i * 13 + p * 7) % 256);
        text += "\n";
    }
    const std::string whole = dir.file("whole.csv.gz");
    gzFile gz = gzopen(whole.c_str(), "wb");
    ASSERT_NE(gz, nullptr);
    gzwrite(gz, text.data(), static_cast<unsigned>(text.size()));
    gzclose(gz);
    const std::string bytes = testing::read_file(whole);
    for (std::size_t keep : {bytes.size() - 8, bytes.size() / 2}) {  // without the trailer; mid-stream
        testing::write_file(dir.file("cut.csv.gz"), bytes.substr(0, keep));
        const auto r = run_digitnet("train --device cpu --iters 1 --hidden 3 --data " + quote(dir.file("cut.csv.gz")));
        EXPECT_EQ(r.exit_code, 2) << keep << ": " << r.out;
        EXPECT_TRUE(has(r.err, "truncated")) << r.err;
    }
}

TEST(WrongAnswers, AModelWithAGapOrBadMetadataIsRefused) {
    TempDir dir;
    Matrix<double> theta1(3, 5), theta3(2, 4), base(1, 1);
    base(0, 0) = 7;
    testing::write_mat(dir.file("gap.mat"), {{"Theta1", theta1}, {"Theta3", theta3}});
    Matrix<double> theta2(2, 4);
    testing::write_mat(dir.file("base.mat"), {{"Theta1", theta1}, {"Theta2", theta2}, {"digitnet_label_base", base}});
    EXPECT_THROW(load_weights(dir.file("gap.mat")), InputError);
    EXPECT_THROW(load_model_info(dir.file("base.mat"), 4), InputError);
    const auto r = run_digitnet("predict --device cpu --model " + quote(dir.file("gap.mat")));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(has(r.err, "Theta3")) << r.err;
}

TEST(WrongAnswers, Uint8PixelsInAMatFileBecomeZeroToOne) {
    TempDir dir;
    Matrix<double> X(4, 3), y(4, 1);
    for (std::size_t i = 0; i < X.data.size(); ++i) X.data[i] = double(i * 20);
    for (int i = 0; i < 4; ++i) y(i, 0) = 1 + i % 2;
    testing::write_mat(dir.file("u8.mat"), {{"X", X, MAT_C_UINT8}, {"y", y}});
    const DataFile file = load_mat_data(dir.file("u8.mat"));
    for (std::size_t i = 0; i < X.data.size(); ++i) EXPECT_DOUBLE_EQ(file.train.X.data[i], X.data[i] / 255.0);
}

// ---- 10, 11: options of another optimizer; the same history for every optimizer ----

TEST(Options, AnotherOptimizersOptionIsRefused) {
    for (const std::string arguments :
         {"--optimizer gd --lr 0.5", "--optimizer adam --alpha 0.8", "--optimizer cg --alpha 0.1",
          "--optimizer adam --iters 5", "--optimizer gd --epochs 2"}) {
        const auto r = run_digitnet("train --device cpu " + arguments);
        EXPECT_EQ(r.exit_code, 2) << arguments;
        EXPECT_TRUE(has(r.err, "is an option of --optimizer")) << r.err;
    }
}

TEST(History, EveryOptimizerStartsWithTheInitialCostAndEndsWithTheFinalOne) {
    TempDir dir;
    std::vector<std::string> first_rows;
    for (const std::string optimizer : {"gd", "cg", "adam"}) {
        const std::string csv = dir.file(optimizer + ".csv");
        const auto r = run_digitnet("train --device cpu --precision double --json --optimizer " + optimizer +
                                    (optimizer == "adam" ? " --epochs 1 --batch 1000" : " --iters 5") + " --history " +
                                    quote(csv));
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const json out = json::parse(r.out);
        const std::string text = testing::read_file(csv);
        ASSERT_EQ(text.rfind("iteration,cost\n0,", 0), 0u) << text;
        const std::size_t last_line = text.rfind('\n', text.size() - 2) + 1;
        const std::string last = text.substr(last_line);
        EXPECT_EQ(std::stol(last.substr(0, last.find(','))), out["iterations"].get<long>()) << optimizer;
        EXPECT_NEAR(std::stod(last.substr(last.find(',') + 1)), out["final_cost"].get<double>(), 1e-8) << optimizer;
        first_rows.push_back(text.substr(0, text.find('\n', 16)));
    }
    EXPECT_EQ(first_rows[0], first_rows[1]) << "gd and cg start from the same weights, so the same cost";
}

// ---- 12, 13: caught before the work ----

TEST(BeforeTheWork, ANetworkTooLargeForMemoryIsRefusedWithNumbers) {
    const auto start = std::chrono::steady_clock::now();
    const auto r = run_digitnet("train --device cpu --hidden 1000000");
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(has(r.err, "needs about")) << r.err;
    EXPECT_TRUE(has(r.err, "--hidden")) << r.err;
}

TEST(BeforeTheWork, AnIdxGzThatExpandsBeyondMemoryIsRefused) {
    if (testing::kAddressSanitizer) GTEST_SKIP() << "AddressSanitizer does not run under memory limits";
    TempDir dir;
    // 400,000 images of 28 x 28 (314 MB of pixels, 2.5 GB as doubles) in a few hundred KB.
    const std::uint32_t count = 400000;
    auto header = [](const std::vector<std::uint32_t>& words) {
        std::string bytes;
        for (std::uint32_t w : words)
            for (int shift : {24, 16, 8, 0}) bytes += static_cast<char>((w >> shift) & 0xff);
        return bytes;
    };
    gzFile images = gzopen(dir.file("big-images-idx3-ubyte.gz").c_str(), "wb1");
    const std::string image_header = header({0x803, count, 28, 28});
    gzwrite(images, image_header.data(), static_cast<unsigned>(image_header.size()));
    const std::string zeros(1 << 20, '\0');
    for (std::uint64_t left = std::uint64_t{count} * 784; left > 0;) {
        const auto n = static_cast<unsigned>(std::min<std::uint64_t>(left, zeros.size()));
        gzwrite(images, zeros.data(), n);
        left -= n;
    }
    gzclose(images);
    gzFile labels = gzopen(dir.file("big-labels-idx1-ubyte.gz").c_str(), "wb1");
    const std::string label_bytes = header({0x801, count}) + std::string(count, '\1');
    gzwrite(labels, label_bytes.data(), static_cast<unsigned>(label_bytes.size()));
    gzclose(labels);
    // A process limited to 2 GiB of address space.
    const auto r = run_in_child(dir, testing::with_limit(RLIMIT_AS, rlim_t{2} << 30),
                                "train --device cpu --iters 1 --data " + quote(dir.file("big-images-idx3-ubyte.gz")));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(has(r.err, "needs about")) << r.err;
}

TEST(BeforeTheWork, AnOutOfMemoryThatSlipsPastNamesTheStep) {
    if (testing::kAddressSanitizer) GTEST_SKIP() << "AddressSanitizer does not run under memory limits";
    TempDir dir;
    // RLIMIT_DATA is not part of the estimate, so the allocation itself fails: std::bad_alloc
    // must still end as one clear line, exit 2.
    const auto r = run_in_child(dir, testing::with_limit(RLIMIT_DATA, rlim_t{1} << 30),
                                "train --device cpu --iters 1 --hidden 20000");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(has(r.err, "out of memory while ")) << r.err;
    EXPECT_FALSE(has(r.err, "std::bad_alloc")) << r.err;
}

TEST(BeforeTheWork, AnUnwritableOutputIsFoundBeforeTraining) {
    TempDir dir;
    fs::create_directory(dir.path() / "locked");
    ASSERT_EQ(::chmod(dir.path().c_str(), 0777), 0);
    ASSERT_EQ(::chmod((dir.path() / "locked").c_str(), 0555), 0);
    const std::string long_name = dir.file(std::string(300, 'm') + ".mat");
    const std::vector<std::pair<std::string, std::string>> outputs{{dir.file("missing/m.mat"), "does not exist"},
                                                                   {long_name, "characters long"},
                                                                   {dir.path().string(), "directory"},
                                                                   {dir.file("locked/m.mat"), "cannot create a file"}};
    for (const auto& [output, reason] : outputs) {
        for (const std::string option : {"--save", "--history"}) {
            const auto start = std::chrono::steady_clock::now();
            // A million iterations: an error found after training would take minutes.
            const auto r = run_in_child(dir, ordinary_user(),
                                        "train --device cpu --iters 1000000 " + option + " " + quote(output));
            if (r.exit_code == testing::kChildGaveUp) GTEST_SKIP() << "an ordinary user cannot run digitnet here";
            EXPECT_EQ(r.exit_code, 2) << output << "\n" << r.err;
            EXPECT_TRUE(has(r.err, option) && has(r.err, reason)) << r.err;
            EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20)) << output;
        }
    }
}

// ---- 14. the smaller things ----

TEST(Smaller, SeedsHiddenLayersAndHints) {
    for (const std::string arguments :
         {"--seed -1", "--seed 18446744073709551616", "--seed 1e3", "--hidden 25,,10", "--hidden 25,", "--hidden 0"}) {
        const auto r = run_digitnet("train --device cpu --iters 1 " + arguments);
        EXPECT_EQ(r.exit_code, 2) << arguments;
    }
    EXPECT_EQ(run_digitnet("train --device cpu --iters 1 --seed 18446744073709551615").exit_code, 0);
    const auto lambda = run_digitnet("train --device cpu --iters 20 --lambda 1e30");
    EXPECT_EQ(lambda.exit_code, 1);
    EXPECT_TRUE(has(lambda.err, "smaller --lambda")) << lambda.err;
    EXPECT_FALSE(has(lambda.err, "--alpha")) << lambda.err;
    const auto adam = run_digitnet("train --device cpu --optimizer adam --lr 1e30 --epochs 1");
    EXPECT_EQ(adam.exit_code, 1) << adam.out;
    EXPECT_TRUE(has(adam.err, "diverged")) << adam.err;
    EXPECT_TRUE(has(adam.err, "--lr")) << adam.err;
}

TEST(Smaller, WordsNotesAndPictureNames) {
    TempDir dir;
    const auto jpg = run_digitnet("show --out " + quote(dir.file("x.jpg")));
    EXPECT_EQ(jpg.exit_code, 2);
    EXPECT_FALSE(fs::exists(dir.file("x.jpg")));
    const auto one = run_digitnet("show --count 1 --out " + quote(dir.file("one.png")));
    EXPECT_TRUE(has(one.out, "1 random example of")) << one.out;
    const auto epoch = run_digitnet("train --device cpu --optimizer adam --epochs 1 --batch 2500");
    EXPECT_TRUE(has(epoch.out, "(1 epoch of")) << epoch.out;
    const auto quiet = run_digitnet("train --iters 1 --quiet");
    EXPECT_EQ(quiet.exit_code, 0);
    EXPECT_EQ(quiet.err, "") << "--quiet printed a note";
    const auto json_run = run_digitnet("train --iters 1 --json");
    EXPECT_TRUE(json::accept(json_run.out)) << json_run.out;
    const auto gradcheck = run_digitnet("gradcheck --precision float");
    EXPECT_EQ(gradcheck.exit_code, 2);
    EXPECT_TRUE(has(gradcheck.err, "double")) << gradcheck.err;
}

}  // namespace
}  // namespace digitnet
