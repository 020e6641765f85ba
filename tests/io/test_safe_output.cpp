// Issue 10: every write checked, nothing lost. The safe-output module (safe_output.hpp) on full
// disks (RLIMIT_FSIZE, a /dev/full node, a tiny tmpfs), device files and FIFOs, symbolic links,
// read-only files, and an injected failure at every system call of every writer.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <thread>

#include "digitnet/errors.hpp"
#include "digitnet/io/mat_io.hpp"
#include "digitnet/io/png_image.hpp"
#include "digitnet/io/safe_output.hpp"
#include "run_as.hpp"
#include "test_util.hpp"

namespace digitnet {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

int files_in(const fs::path& folder) {
    int count = 0;
    for (const auto& entry : fs::directory_iterator(folder)) count += entry.is_regular_file() || entry.is_symlink();
    return count;
}

struct stat stat_of(const std::string& path) {
    struct stat st {};
    ::lstat(path.c_str(), &st);
    return st;
}

// A node with the numbers of a device (1,3 is /dev/null, 1,7 /dev/full), made in `dir`, never in /dev.
bool make_device(const std::string& path, unsigned minor) {
    if (::mknod(path.c_str(), S_IFCHR | 0666, makedev(1, minor)) != 0) return false;
    const int fd = ::open(path.c_str(), O_WRONLY);  // a nodev mount refuses to open it
    if (fd < 0) return false;
    ::close(fd);
    return true;
}

TEST(SafeOutput, ReplacesTheFileKeepingItsModeAndOwner) {
    TempDir dir;
    const std::string path = dir.file("out.txt");
    testing::write_file(path, "old");
    ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
    const bool root = ::geteuid() == 0;
    if (root) {
        ASSERT_EQ(::chown(path.c_str(), testing::kNobody, testing::kNobody), 0);
    }
    write_output_file(path, "new contents");
    EXPECT_EQ(testing::read_file(path), "new contents");
    const struct stat st = stat_of(path);
    EXPECT_EQ(st.st_mode & 07777, 0640u);
    if (root) {
        EXPECT_EQ(st.st_uid, testing::kNobody);
        EXPECT_EQ(st.st_gid, testing::kNobody);
    }
    EXPECT_EQ(files_in(dir.path()), 1) << "a temporary file was left behind";
}

TEST(SafeOutput, AReadOnlyFileIsRefusedForAnOrdinaryUser) {
    TempDir dir;
    ASSERT_EQ(::chmod(dir.path().c_str(), 0777), 0);
    const std::string path = dir.file("model.mat");
    testing::write_file(path, "precious");
    ASSERT_EQ(::chmod(path.c_str(), 0444), 0);
    const int code = testing::in_child(testing::as_ordinary_user(), [&] {
        try {
            check_output_path(path, "--save");
            return 1;
        } catch (const InputError& e) {
            if (std::string(e.what()).find("read-only") == std::string::npos) return 2;
        }
        try {
            write_output_file(path, "replaced");
            return 3;
        } catch (const InputError&) {
            return 0;
        }
    });
    if (code == testing::kChildGaveUp) GTEST_SKIP() << "cannot become an ordinary user here";
    EXPECT_EQ(code, 0);
    EXPECT_EQ(testing::read_file(path), "precious");
    EXPECT_EQ(stat_of(path).st_mode & 07777, 0444u);
}

TEST(SafeOutput, ASymbolicLinkIsWrittenThroughToItsTarget) {
    TempDir dir;
    fs::create_directory(dir.path() / "real");
    const std::string target = dir.file("real/model.mat"), link = dir.file("link.mat");
    testing::write_file(target, "old");
    ASSERT_EQ(::chmod(target.c_str(), 0600), 0);
    fs::create_symlink("real/model.mat", link);
    check_output_path(link, "--save");
    write_output_file(link, "new");
    EXPECT_TRUE(fs::is_symlink(link)) << "the link itself was replaced";
    EXPECT_EQ(testing::read_file(target), "new");
    EXPECT_EQ(stat_of(target).st_mode & 07777, 0600u);
    EXPECT_EQ(files_in(dir.path() / "real"), 1);
    // A dangling link: its target is created.
    fs::create_symlink("real/new.mat", dir.file("dangling.mat"));
    write_output_file(dir.file("dangling.mat"), "made");
    EXPECT_EQ(testing::read_file(dir.file("real/new.mat")), "made");
    EXPECT_TRUE(fs::is_symlink(dir.file("dangling.mat")));
}

TEST(SafeOutput, DevicesAreWrittenInPlaceNeverReplaced) {
    TempDir dir;
    const std::string null_node = dir.file("null"), full_node = dir.file("full");
    if (!make_device(null_node, 3) || !make_device(full_node, 7))
        GTEST_SKIP() << "cannot make device nodes here (not root, or nodev)";
    check_output_path(null_node, "--save");
    write_output_file(null_node, "discarded");
    EXPECT_TRUE(S_ISCHR(stat_of(null_node).st_mode)) << "the device node was replaced by a regular file";
    try {
        write_output_file(full_node, std::string(100000, 'x'));
        ADD_FAILURE() << "a write to a full device reported success";
    } catch (const OutputError& e) {
        EXPECT_NE(std::string(e.what()).find(full_node), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(std::strerror(ENOSPC)), std::string::npos) << e.what();
    }
    EXPECT_TRUE(S_ISCHR(stat_of(full_node).st_mode));
    // save_weights goes the same way.
    EXPECT_THROW(save_weights(full_node, random_parameters(make_layout(4, {3}, 2), 1)), OutputError);
    EXPECT_TRUE(S_ISCHR(stat_of(full_node).st_mode));
}

TEST(SafeOutput, AFifoIsWrittenInPlace) {
    TempDir dir;
    const std::string fifo = dir.file("pipe");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    // Nobody reading: refused at once rather than waiting for ever.
    EXPECT_THROW(write_output_file(fifo, "lost"), OutputError);
    std::string received;
    std::thread reader([&] { received = testing::read_file(fifo); });
    // The reader opens the FIFO in its own time: retry until it has.
    for (int attempt = 0; attempt < 200; ++attempt) {
        try {
            write_output_file(fifo, "through the pipe");
            break;
        } catch (const OutputError&) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    reader.join();
    EXPECT_EQ(received, "through the pipe");
    EXPECT_TRUE(S_ISFIFO(stat_of(fifo).st_mode));
}

TEST(SafeOutput, AFileSizeLimitFailsTheWriteAndKeepsTheOldFile) {
    TempDir dir;
    const std::string path = dir.file("model.mat");
    save_weights(path, random_parameters(make_layout(4, {3}, 2), 1));
    const std::string before = testing::read_file(path);
    // In a child whose files may not grow past 4 KiB: writes fail with EFBIG.
    const int code = testing::in_child(testing::with_limit(RLIMIT_FSIZE, 4096), [&] {
        try {
            write_output_file(path, std::string(100000, 'x'));
            return 1;
        } catch (const OutputError& e) {
            if (std::string(e.what()).find(std::strerror(EFBIG)) == std::string::npos) return 2;
        }
        try {
            save_weights(path, random_parameters(make_layout(100, {30}, 10), 2));
            return 3;
        } catch (const OutputError&) {
            return 0;
        }
    });
    EXPECT_EQ(code, 0);
    EXPECT_EQ(testing::read_file(path), before);
    EXPECT_EQ(files_in(dir.path()), 1) << "a temporary file was left behind";
}

TEST(SafeOutput, ATinyFileSystemFailsTheWriteAndKeepsTheOldFile) {
    if (::geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
    TempDir dir;
    const std::string tiny = dir.file("tiny");
    fs::create_directory(tiny);
    if (::mount("tmpfs", tiny.c_str(), "tmpfs", 0, "size=24k") != 0) GTEST_SKIP() << "cannot mount a tmpfs here";
    const std::string path = tiny + "/keep.mat";
    const Parameters small = random_parameters(make_layout(4, {3}, 2), 1);
    save_weights(path, small);
    const std::string before = testing::read_file(path);
    EXPECT_THROW(save_weights(path, random_parameters(make_layout(400, {25}, 10), 1)), OutputError);
    EXPECT_EQ(testing::read_file(path), before);
    EXPECT_EQ(files_in(tiny), 1);
    ::umount(tiny.c_str());
}

TEST(SafeOutput, OutputsThatAreInputsAreRefusedByInode) {
    TempDir dir;
    const std::string data = dir.file("d.mat"), other_name = dir.file("same.mat"), fresh = dir.file("new.mat");
    testing::write_file(data, "data");
    fs::create_hard_link(data, other_name);
    EXPECT_THROW(check_outputs_are_not_inputs({{"--save", other_name}}, {{"--data", data}}), InputError);
    fs::create_symlink(data, dir.file("link.mat"));
    EXPECT_THROW(check_outputs_are_not_inputs({{"--save", dir.file("link.mat")}}, {{"--data", data}}), InputError);
    EXPECT_THROW(check_outputs_are_not_inputs({{"--save", fresh}, {"--history", data}}, {{"--data", data}}),
                 InputError);
    // A folder input stands for its IDX files (only those are read), an IDX file for those beside it.
    const std::string images = dir.file("train-images-idx3-ubyte"), labels = dir.file("train-labels-idx1-ubyte");
    testing::write_file(images, "pixels");
    testing::write_file(labels, "labels");
    EXPECT_THROW(check_outputs_are_not_inputs({{"--save", labels}}, {{"--data", dir.path().string()}}), InputError);
    EXPECT_THROW(check_outputs_are_not_inputs({{"--save", labels}}, {{"--data", images}}), InputError);
    EXPECT_NO_THROW(check_outputs_are_not_inputs({{"--save", data}}, {{"--data", dir.path().string()}}));
    testing::write_file(fresh, "x");
    EXPECT_THROW(check_outputs_are_not_inputs({{"--save", fresh}, {"--history", fresh}}, {}), InputError);
    EXPECT_NO_THROW(
        check_outputs_are_not_inputs({{"--save", fresh}, {"--history", dir.file("h.csv")}}, {{"--data", data}}));
}

TEST(SafeOutput, UnwritablePathsAreFoundBeforeAnyWork) {
    TempDir dir;
    EXPECT_THROW(check_output_path(dir.file("missing/m.mat"), "--save"), InputError);
    EXPECT_THROW(check_output_path(dir.file(std::string(300, 'a') + ".mat"), "--save"), InputError);
    EXPECT_THROW(check_output_path(dir.path().string(), "--save"), InputError);
    EXPECT_NO_THROW(check_output_path(dir.file("m.mat"), "--save"));
    EXPECT_EQ(files_in(dir.path()), 0) << "the probe file was left behind";
    fs::create_directory(dir.path() / "locked");
    ASSERT_EQ(::chmod(dir.path().c_str(), 0777), 0);
    ASSERT_EQ(::chmod((dir.path() / "locked").c_str(), 0555), 0);
    const int code = testing::in_child(testing::as_ordinary_user(), [&] {
        try {
            check_output_path(dir.file("locked/m.mat"), "--save");
            return 1;
        } catch (const InputError&) {
            return 0;
        }
    });
    if (code == testing::kChildGaveUp) GTEST_SKIP() << "cannot become an ordinary user here";
    EXPECT_EQ(code, 0);
}

// The fuzzers' invariant, for the writers: whichever system call fails, the previous file is
// byte for byte intact, no temporary file is left, and the writer reports the failure.
TEST(SafeOutput, AFailureAtAnyCallKeepsThePreviousFile) {
    TempDir dir;
    std::mt19937 generator(2026);
    const Parameters big = random_parameters(make_layout(400, {25}, 10), 3);
    GrayImage image;
    image.width = 300;
    image.height = 200;
    image.pixels.assign(60000, 0.5);
    const std::string large_text(3 << 20, 'x');  // several write calls
    struct Writer {
        const char* name;
        std::function<void(const std::string&)> write;
    };
    const std::vector<Writer> writers{
        {"model", [&](const std::string& p) { save_weights(p, big); }},
        {"png", [&](const std::string& p) { write_png(p, image); }},
        {"text", [&](const std::string& p) { write_output_file(p, large_text); }},
    };
    for (const Writer& writer : writers) {
        const std::string path = dir.file(std::string("out-") + writer.name + ".png");
        testing::write_file(path, "the previous file");
        for (int trial = 0; trial < 12; ++trial) {
            const int nth = 1 + static_cast<int>(generator() % 8);
            const int error = std::vector<int>{ENOSPC, EFBIG, EIO, EDQUOT}[generator() % 4];
            fail_output_call_for_testing(nth, error);
            bool failed = false;
            try {
                writer.write(path);
            } catch (const OutputError& e) {
                failed = true;
                EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
            }
            fail_output_call_for_testing(0, 0);
            if (failed) {
                EXPECT_EQ(testing::read_file(path), "the previous file") << writer.name << " call " << nth;
            } else {
                // Only the folder's fsync comes after the rename; a writer with fewer calls than
                // nth never reached the failure.
                testing::write_file(path, "the previous file");
            }
            EXPECT_EQ(files_in(dir.path()), static_cast<int>(&writer - writers.data()) + 1)
                << writer.name << " left a temporary file";
        }
    }
}

}  // namespace
}  // namespace digitnet
