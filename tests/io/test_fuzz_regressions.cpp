// The fuzzers' inputs, replayed in the normal build: every file kept in tests/fuzz/regressions
// (inputs that once crashed, leaked or exhausted memory) and tests/fuzz/corpus (the seeds) goes
// through its reader, which must return a valid result or throw InputError (fuzz_inputs.hpp);
// the valid seeds must load, and the inputs that made matio allocate gigabytes must be refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "digitnet/errors.hpp"
#include "digitnet/io/data_loader.hpp"
#include "digitnet/io/mat_io.hpp"
#include "digitnet/io/png_image.hpp"
#include "fuzz/fuzz_inputs.hpp"
#include "test_util.hpp"

namespace digitnet {
namespace {

namespace fs = std::filesystem;

const fs::path fuzz_dir = fs::path(DIGITNET_SOURCE_DIR) / "tests" / "fuzz";

std::vector<fs::path> files_in(const fs::path& folder) {
    std::vector<fs::path> files;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(folder, ec))
        if (entry.is_regular_file()) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
}

fs::path seed(const char* target, const char* name) { return fuzz_dir / "corpus" / target / name; }

TEST(FuzzRegressions, EveryKeptInputIsReadOrRefusedWithAnInputError) {
    testing::TempDir scratch;
    int replayed = 0;
    for (const fuzz::Target& target : fuzz::targets()) {
        for (const char* kind : {"regressions", "corpus"}) {
            for (const fs::path& file : files_in(fuzz_dir / kind / target.name)) {
                SCOPED_TRACE(file.string());
                EXPECT_NO_THROW(target.run(testing::read_file(file.string()), scratch.path()));
                ++replayed;
            }
        }
    }
    std::printf("  replayed %d fuzz inputs\n", replayed);
    EXPECT_GT(replayed, 50);
}

TEST(FuzzRegressions, ValidMatSeedsLoad) {
    for (const fs::path& path :
         {seed("fuzz_mat_data", "data_v5.mat"), seed("fuzz_mat_data", "data_v5_big_endian.mat"),
          seed("fuzz_mat_data", "data_v5_zlib_test.mat"), seed("fuzz_mat_data", "data_uint8.mat"),
          seed("fuzz_mat_data", "data_single_int16.mat"), seed("fuzz_mat_data", "many_kinds_v5.mat"),
          seed("fuzz_mat_data", "many_kinds_v5_zlib.mat"), seed("fuzz_mat_data", "data_and_weights_v4.mat"),
          seed("fuzz_mat73", "data_v73.mat")}) {
        SCOPED_TRACE(path.string());
        const DataFile file = load_mat_data(path.string());
        EXPECT_EQ(file.train.examples(), 4);
        EXPECT_EQ(file.train.features(), 3);
    }
    for (const char* name : {"weights_v5.mat", "weights_v5_zlib.mat", "model_with_info.mat"}) {
        SCOPED_TRACE(name);
        EXPECT_EQ(load_weights(seed("fuzz_mat_data", name).string()).layout.describe(), "3-2-3");
    }
    EXPECT_EQ(load_weights(seed("fuzz_mat73", "weights_v73.mat").string()).layout.describe(), "3-2-2");
    const ModelInfo info = load_model_info(seed("fuzz_mat_data", "model_with_info.mat").string(), 3);
    EXPECT_EQ(info.label_base, 0);
    EXPECT_EQ(info.image.rows * info.image.cols, 3);
}

TEST(FuzzRegressions, MatFilesThatMadeMatioAllocateGigabytesAreRefused) {
    // Each was a data or a weights file once: one of the two readers meets the damage.
    const auto refused_as_damaged = [](auto load, const std::string& path) {
        try {
            load(path);
        } catch (const InputError& e) {
            const std::string message = e.what();
            return message.find("damaged") != std::string::npos || message.find("claims") != std::string::npos;
        }
        return false;
    };
    int refused = 0;
    std::vector<fs::path> files = files_in(fuzz_dir / "regressions" / "fuzz_mat_data");
    for (const fs::path& file : files_in(fuzz_dir / "regressions" / "fuzz_mat73")) files.push_back(file);
    for (const fs::path& file : files) {
        if (file.filename().string().rfind("oom-", 0) != 0) continue;
        SCOPED_TRACE(file.string());
        const bool as_data = refused_as_damaged([](const std::string& p) { return load_mat_data(p); }, file.string());
        const bool as_weights = refused_as_damaged([](const std::string& p) { return load_weights(p); }, file.string());
        EXPECT_TRUE(as_data || as_weights);
        ++refused;
    }
    EXPECT_GE(refused, 4);
}

TEST(FuzzRegressions, ModelInfoOutOfRangeIsAnInputError) {
    // NaN label base, 1e300 x -2e9 image: converting them to int was undefined behaviour.
    EXPECT_THROW(load_model_info(seed("fuzz_mat_data", "model_with_bad_info.mat").string(), 3), InputError);
}

TEST(FuzzRegressions, ValidIdxCsvAndPngSeedsLoad) {
    testing::TempDir scratch;
    for (const char* name :
         {"valid_3x4x5.idx", "valid_gzip.idx", "images_gzip_labels_plain.idx", "one_28x28_digit.idx"}) {
        SCOPED_TRACE(name);
        const fuzz::IdxFiles files =
            fuzz::write_idx_pair(testing::read_file(seed("fuzz_idx", name).string()), scratch.path());
        EXPECT_GE(load_data(files.images).train.examples(), 1);
        EXPECT_GE(load_data(files.folder.string()).train.examples(), 1);
    }
    for (const char* name : {"valid_no_header.csv", "valid_header.csv", "crlf_bom_quotes_blank.csv", "gzip.csv",
                             "spaces_and_plus.csv", "square_4x4.csv"}) {
        SCOPED_TRACE(name);
        EXPECT_GE(load_data(seed("fuzz_csv", name).string()).train.examples(), 1);
    }
    for (const char* name :
         {"grey_20x20.png", "dark_on_white_28x28.png", "rgb_interlaced.png", "rgba_transparent_canvas.png",
          "grey16.png", "palette.png", "one_bit.png", "one_pixel.png", "wide_300x2.png"}) {
        SCOPED_TRACE(name);
        EXPECT_GT(read_png(seed("fuzz_png", name).string()).width, 0);
    }
}

TEST(FuzzRegressions, PngClaimingHugeDimensionsIsRefusedBeforeAllocating) {
    EXPECT_THROW(read_png(seed("fuzz_png", "claims_16384x16384.png").string()), InputError);
    EXPECT_THROW(read_png(seed("fuzz_png", "claims_20000x1.png").string()), InputError);
}

}  // namespace
}  // namespace digitnet
