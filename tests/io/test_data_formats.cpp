// Data files in every format load_data reads (.mat, IDX plain and gzip, IDX folders, CSV), told
// apart by content; every kind of broken input is an InputError naming the file (the command line
// on them: test_data_formats_cli.cpp). Small files are generated here (data_format_files.hpp);
// Debian's Fashion-MNIST is loaded when it is installed.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "data_format_files.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/io/data_loader.hpp"
#include "digitnet/io/mat_io.hpp"
#include "digitnet/model/layout.hpp"
#include "io/csv_reader.hpp"
#include "io/idx_reader.hpp"
#include "test_util.hpp"

namespace digitnet {
namespace {

using nlohmann::json;
using testing::csv_of;
using testing::expect_input_error;
using testing::expect_matches;
using testing::idx_images;
using testing::idx_labels;
using testing::learnable_set;
using testing::put_u32;
using testing::small_set;
using testing::SmallSet;
using testing::TempDir;
using testing::write_file;
using testing::write_gz;
using testing::write_idx_pair;
using testing::write_maybe_gz;

// ---- IDX ---------------------------------------------------------------------------------------

TEST(DataFormats, IdxRoundTripPlainAndGzipEitherFileGiven) {
    const SmallSet s = small_set(12, 3, 4, 10);
    for (bool gz_images : {false, true})
        for (bool gz_labels : {false, true}) {
            SCOPED_TRACE(std::string("images ") + (gz_images ? "gz" : "plain") + ", labels " +
                         (gz_labels ? "gz" : "plain"));
            TempDir dir;
            const std::string images = write_idx_pair(dir, "train", s, gz_images, gz_labels);
            EXPECT_EQ(detect_data_format(images), DataFormat::Idx);
            const DataFile file = load_data(images);
            expect_matches(file.train, s);
            EXPECT_FALSE(file.test);
            EXPECT_EQ(file.train.source, images);
            const std::string labels = dir.file(std::string("train-labels-idx1-ubyte") + (gz_labels ? ".gz" : ""));
            expect_matches(load_data(labels).train, s);
        }
}

TEST(DataFormats, IdxPartnerNames) {
    TempDir dir;
    const SmallSet s = small_set(4, 2, 2, 3);
    // Kaggle's MNIST spells the names with a dot: train-images.idx3-ubyte.
    write_file(dir.file("train-images.idx3-ubyte"), idx_images(s.count, s.rows, s.cols, s.pixels));
    write_file(dir.file("train-labels.idx1-ubyte"), idx_labels(s.labels));
    expect_matches(load_data(dir.file("train-images.idx3-ubyte")).train, s);
    EXPECT_EQ(idx_partner(dir.file("train-images.idx3-ubyte"), true), dir.file("train-labels.idx1-ubyte"));
    EXPECT_EQ(idx_partner(dir.file("train-labels.idx1-ubyte"), false), dir.file("train-images.idx3-ubyte"));
    // Only the file name is rewritten, never the folder.
    std::filesystem::create_directories(dir.path() / "images-idx3");
    EXPECT_FALSE(idx_partner((dir.path() / "images-idx3" / "a-images-idx3-ubyte").string(), true));
}

TEST(DataFormats, IdxClassesAreAtLeastTwo) {
    TempDir dir;
    SmallSet s = small_set(5, 2, 2, 1);  // every label 0
    const DataFile file = load_data(write_idx_pair(dir, "train", s, false, false));
    EXPECT_EQ(file.train.classes, 2);
}

TEST(DataFormats, IdxBrokenInputsNameTheFile) {
    TempDir dir;
    const SmallSet s = small_set(6, 2, 3, 4);
    const std::string images = dir.file("x-images-idx3-ubyte"), labels = dir.file("x-labels-idx1-ubyte");
    const std::string good_images = idx_images(s.count, s.rows, s.cols, s.pixels), good_labels = idx_labels(s.labels);
    auto reset = [&] {
        write_file(images, good_images);
        write_file(labels, good_labels);
    };

    reset();  // bad magic in the labels file
    write_file(labels, std::string("\x00\x00\x08\x03", 4) + good_labels.substr(4));
    expect_input_error([&] { load_data(images); }, {labels, "dimensions"});

    reset();  // an IDX type we do not read
    write_file(images, std::string("\x00\x00\x0d\x03", 4) + good_images.substr(4));
    expect_input_error([&] { load_data(images); }, {images, "float", "not supported"});

    reset();  // 2-D IDX
    write_file(images, std::string("\x00\x00\x08\x02", 4) + good_images.substr(4));
    expect_input_error([&] { load_data(images); }, {images, "2 dimensions"});

    reset();  // truncated images, plain and gzip
    write_file(images, good_images.substr(0, good_images.size() - 5));
    expect_input_error([&] { load_data(images); }, {images, "truncated"});
    write_gz(images + ".gz", good_images.substr(0, good_images.size() - 5));
    expect_input_error([&] { load_data(images + ".gz"); }, {images + ".gz", "truncated"});
    std::filesystem::remove(images + ".gz");

    reset();  // a gzip stream cut short
    write_gz(images + ".gz", good_images);
    const std::string gz = testing::read_file(images + ".gz");
    write_file(images + ".gz", gz.substr(0, gz.size() / 2));
    expect_input_error([&] { load_data(images + ".gz"); }, {images + ".gz"});
    std::filesystem::remove(images + ".gz");

    reset();  // header cut inside the dimensions
    write_file(images, good_images.substr(0, 9));
    expect_input_error([&] { load_data(images); }, {images, "truncated"});

    reset();  // truncated labels
    write_file(labels, good_labels.substr(0, good_labels.size() - 1));
    expect_input_error([&] { load_data(images); }, {labels, "truncated"});

    reset();  // more bytes than the header says
    write_file(images, good_images + "xyz");
    expect_input_error([&] { load_data(images); }, {images, "more bytes"});

    reset();  // counts differ
    write_file(labels, idx_labels(std::vector<std::uint8_t>(5, 1)));
    expect_input_error([&] { load_data(images); }, {images, labels, "6 images", "5 labels"});

    reset();  // labels file missing
    std::filesystem::remove(labels);
    expect_input_error([&] { load_data(images); }, {images, "labels"});

    reset();  // images file missing, labels given
    std::filesystem::remove(images);
    expect_input_error([&] { load_data(labels); }, {labels, "images"});

    reset();  // absurd sizes are refused before anything is allocated
    for (auto [count, rows, cols] :
         {std::array<std::uint32_t, 3>{0xffffffffu, 28, 28}, {6, 0, 3}, {6, 65535, 65535}, {6, 70000, 1}, {0, 2, 3}}) {
        std::string header("\x00\x00\x08\x03", 4);
        put_u32(header, count);
        put_u32(header, rows);
        put_u32(header, cols);
        write_file(images, header + "abc");
        expect_input_error([&] { load_data(images); }, {images});
    }
    // A header promising a lot, in a gzip file that holds little: truncated, not a huge allocation.
    // (20,000 images of 64 x 64: small enough for the memory check before reading to pass anywhere.)
    std::string big("\x00\x00\x08\x03", 4);
    put_u32(big, 20000u);
    put_u32(big, 64);
    put_u32(big, 64);
    write_gz(images + ".gz", big + "abc");
    write_file(labels, idx_labels(std::vector<std::uint8_t>(6, 1)));
    expect_input_error([&] { load_data(images + ".gz"); }, {images + ".gz", "truncated"});

    // An images file whose name gives no way to find its labels.
    write_file(dir.file("pictures.bin"), good_images);
    expect_input_error([&] { load_data(dir.file("pictures.bin")); }, {dir.file("pictures.bin"), "images"});
}

// ---- CSV ---------------------------------------------------------------------------------------

TEST(DataFormats, CsvWithHeaderCrlfAndTrailingNewline) {
    TempDir dir;
    const std::string path = dir.file("mnist_train.csv");
    write_file(path, "label,p1,p2,p3,p4\r\n3,0,255,51,102\r\n0, 10 ,20,30,40\r\n\r\n7,1.5,0,0,255\r\n");
    EXPECT_EQ(detect_data_format(path), DataFormat::Csv);
    const DataFile file = load_data(path);
    const Dataset& d = file.train;
    ASSERT_EQ(d.examples(), 3);
    ASSERT_EQ(d.features(), 4);
    EXPECT_EQ(d.labels, (std::vector<int>{3, 0, 7}));
    EXPECT_EQ(d.classes, 8);
    EXPECT_EQ(d.label_base, 0);
    EXPECT_DOUBLE_EQ(d.X(0, 1), 1.0);
    EXPECT_DOUBLE_EQ(d.X(0, 2), 0.2);
    EXPECT_DOUBLE_EQ(d.X(1, 0), 10 / 255.0);
    EXPECT_DOUBLE_EQ(d.X(2, 0), 1.5 / 255.0);
    EXPECT_EQ(d.image.rows, 2);
    EXPECT_EQ(d.image.cols, 2);
    EXPECT_FALSE(d.image.column_major);
    EXPECT_FALSE(file.test);
}

TEST(DataFormats, CsvWithoutHeaderNonSquareAndGzip) {
    TempDir dir;
    const std::string text = "1,0,0,255\n2,255,255,0";  // no header, no final newline; 3 pixels
    write_file(dir.file("plain.csv"), text);
    const Dataset d = load_data(dir.file("plain.csv")).train;
    EXPECT_EQ(d.examples(), 2);
    EXPECT_EQ(d.features(), 3);
    EXPECT_EQ(d.classes, 3);
    EXPECT_EQ(d.image.rows, 0);
    write_gz(dir.file("plain.csv.gz"), "\xEF\xBB\xBF" + text + "\n");
    EXPECT_EQ(detect_data_format(dir.file("plain.csv.gz")), DataFormat::Csv);
    EXPECT_EQ(load_data(dir.file("plain.csv.gz")).train.X.data, d.X.data);
}

TEST(DataFormats, CsvBrokenInputsNameFileAndLine) {
    TempDir dir;
    const std::string path = dir.file("d.csv");
    const std::string header = "label,a,b,c,d\n";
    const std::vector<std::pair<std::string, std::vector<std::string>>> cases{
        {header + "1,0,0,0,0\n2,0,abc,0,0\n", {"line 3", "column 3", "\"abc\"", "not a number"}},
        {header + "1,0,0,0,0\n2,0,0,300,0\n", {"line 3", "column 4", "300", "outside 0..255"}},
        {header + "1,0,0,0,0\n2,0,0,-1,0\n", {"line 3", "-1", "outside 0..255"}},
        {header + "1,0,0,0,0\n2,0,0,0\n", {"line 3", "4 columns, expected 5"}},
        {header + "1,0,0,0,0\n2,0,0,0,0,0\n", {"line 3", "6 columns"}},
        {header + "1.5,0,0,0,0\n", {"line 2", "label", "1.5"}},
        {header + "1,0,0,,0\n", {"line 2", "column 4", "not a number"}},
        {"", {"empty file"}},
        {"\r\n\r\n", {"empty file"}},
        {header, {"no rows"}},
        {"label\n5\n", {"line 1", "1 column"}},
    };
    for (const auto& [content, parts] : cases) {
        SCOPED_TRACE(content);
        write_file(path, content);
        std::vector<std::string> expected{path};
        expected.insert(expected.end(), parts.begin(), parts.end());
        expect_input_error([&] { load_data(path); }, expected);
    }
}

// ---- detection by content ----------------------------------------------------------------------

TEST(DataFormats, DetectionGoesByContentNotName) {
    TempDir dir;
    // A .mat file named .csv is still read as .mat (labels 1..K).
    testing::write_mat(dir.file("data.csv"), testing::small_data_variables(8, 4, 3));
    EXPECT_EQ(detect_data_format(dir.file("data.csv")), DataFormat::Mat);
    const Dataset m = load_data(dir.file("data.csv")).train;
    EXPECT_EQ(m.label_base, 1);
    EXPECT_EQ(m.examples(), 8);
    EXPECT_TRUE(m.image.column_major);

    // v7.3 (HDF5) files too, when this matio can write them.
    mat_t* probe = Mat_CreateVer(dir.file("probe.mat").c_str(), nullptr, MAT_FT_MAT73);
    if (probe) {
        Mat_Close(probe);
        testing::write_mat(dir.file("v73.data"), testing::small_data_variables(8, 4, 3), MAT_FT_MAT73);
        EXPECT_EQ(detect_data_format(dir.file("v73.data")), DataFormat::Mat);
        EXPECT_EQ(load_data(dir.file("v73.data")).train.examples(), 8);
    }

    // v4 files have no text header; they are recognised by their first matrix header.
    testing::write_mat(dir.file("v4.bin"), testing::small_data_variables(8, 4, 3), MAT_FT_MAT4);
    EXPECT_EQ(detect_data_format(dir.file("v4.bin")), DataFormat::Mat);
    EXPECT_EQ(load_data(dir.file("v4.bin")).train.examples(), 8);

    // IDX files named .mat are read as IDX.
    const SmallSet s = small_set(5, 2, 2, 3);
    write_file(dir.file("foo-images.mat"), idx_images(s.count, s.rows, s.cols, s.pixels));
    write_file(dir.file("foo-labels.mat"), idx_labels(s.labels));
    EXPECT_EQ(detect_data_format(dir.file("foo-images.mat")), DataFormat::Idx);
    expect_matches(load_data(dir.file("foo-images.mat")).train, s);

    // CSV named .idx is CSV.
    write_file(dir.file("x.idx"), "1,2,3\n0,4,5\n");
    EXPECT_EQ(detect_data_format(dir.file("x.idx")), DataFormat::Csv);
    // Valid CSV named .mat is CSV; text named .mat that is no CSV either says both.
    write_file(dir.file("csv.mat"), "1,2,3\n0,4,5\n");
    EXPECT_EQ(load_data(dir.file("csv.mat")).train.label_base, 0);
    write_file(dir.file("text.mat"), "hello, world\n");
    expect_input_error([&] { load_data(dir.file("text.mat")); },
                       {dir.file("text.mat"), "not a MATLAB .mat file", "no rows"});

    // Binary data of no known kind, plain or gzip; a gzip-compressed .mat; no file at all.
    write_file(dir.file("junk.bin"), std::string("\x7f"
                                                 "ELF\x02\x01\x01\x00\x00\x00",
                                                 10));
    expect_input_error([&] { load_data(dir.file("junk.bin")); }, {dir.file("junk.bin"), "not a .mat, IDX or CSV file"});
    write_gz(dir.file("junk.gz"), std::string("\x01\x02\x03\x00\x00", 5));
    expect_input_error([&] { load_data(dir.file("junk.gz")); }, {dir.file("junk.gz"), "not a .mat, IDX or CSV file"});
    write_gz(dir.file("data.mat.gz"), testing::read_file(dir.file("data.csv")));
    expect_input_error([&] { load_data(dir.file("data.mat.gz")); }, {dir.file("data.mat.gz"), "gunzip"});
    expect_input_error([&] { load_data(dir.file("absent.csv")); }, {dir.file("absent.csv"), "no such file"});
}

// ---- folders and test sets -----------------------------------------------------------------------

TEST(DataFormats, IdxFolderHasTrainAndTest) {
    TempDir dir;
    const SmallSet train = small_set(10, 3, 3, 4), test = small_set(8, 3, 3, 7);
    write_idx_pair(dir, "train", train, true, true);
    write_idx_pair(dir, "t10k", test, false, true);
    EXPECT_EQ(detect_data_format(dir.path().string()), DataFormat::IdxFolder);
    const DataFile file = load_data(dir.path().string());
    ASSERT_TRUE(file.test);
    EXPECT_EQ(file.train.examples(), 10);
    EXPECT_EQ(file.test->examples(), 8);
    EXPECT_EQ(file.train.classes, 7);  // the larger of the two
    EXPECT_EQ(file.test->classes, 7);
    EXPECT_EQ(load_test_set(dir.path().string()).examples(), 8);

    // Train only: no test set.
    TempDir only_train;
    write_idx_pair(only_train, "train", train, false, false);
    EXPECT_FALSE(load_data(only_train.path().string()).test);

    // A folder of something else.
    TempDir empty;
    expect_input_error([&] { load_data(empty.path().string()); }, {empty.path().string(), "train-images-idx3-ubyte"});

    // Test images of another size.
    TempDir mixed;
    write_idx_pair(mixed, "train", train, false, false);
    write_idx_pair(mixed, "t10k", small_set(6, 2, 2, 3), false, false);
    expect_input_error([&] { load_data(mixed.path().string()); }, {mixed.file("t10k-images-idx3-ubyte"), "features"});
}

TEST(DataFormats, TestDataMustFitTheTrainingSet) {
    TempDir dir;
    const Dataset train = load_data(write_idx_pair(dir, "train", small_set(10, 2, 3, 4), false, false)).train;
    // Fits: fewer classes in the test set is fine, classes become the training set's.
    const std::string fits = write_idx_pair(dir, "fits", small_set(5, 2, 3, 2), false, false);
    EXPECT_EQ(load_test_data(fits, train).classes, 4);
    // CSV with the same features and convention fits too (its image shape is unknown: 6 is no square).
    write_file(dir.file("t.csv"), "label,a,b,c,d,e,f\n1,0,0,0,0,0,0\n");
    EXPECT_EQ(load_test_data(dir.file("t.csv"), train).examples(), 1);

    const std::string features = write_idx_pair(dir, "features", small_set(5, 2, 2, 2), false, false);
    expect_input_error([&] { load_test_data(features, train); }, {features, "4 features", "6"});
    const std::string shape = write_idx_pair(dir, "shape", small_set(5, 3, 2, 2), false, false);
    expect_input_error([&] { load_test_data(shape, train); }, {shape, "3x2", "2x3"});
    const std::string labels = write_idx_pair(dir, "labels", small_set(5, 2, 3, 5), false, false);
    expect_input_error([&] { load_test_data(labels, train); }, {labels, "label 4", "0..3"});
    testing::write_mat(dir.file("ex4.mat"), testing::small_data_variables(5, 6, 3));
    expect_input_error([&] { load_test_data(dir.file("ex4.mat"), train); }, {dir.file("ex4.mat"), "labels 1..K"});
}

// ---- the real thing, where Debian's dataset-fashion-mnist is installed -----------------------------

const char* const fashion_folder = "/usr/share/datasets/fashion-mnist";

TEST(DataFormats, FashionMnistFromDebian) {
    if (!std::filesystem::exists(fashion_folder))
        GTEST_SKIP() << "no " << fashion_folder << " (apt-get install dataset-fashion-mnist)";
    const DataFile file = load_data(fashion_folder);
    const Dataset& train = file.train;
    ASSERT_TRUE(file.test);
    EXPECT_EQ(train.examples(), 60000);
    EXPECT_EQ(train.features(), 784);
    EXPECT_EQ(file.test->examples(), 10000);
    EXPECT_EQ(file.test->features(), 784);
    EXPECT_EQ(train.classes, 10);
    EXPECT_EQ(file.test->classes, 10);
    EXPECT_EQ(train.label_base, 0);
    EXPECT_EQ(train.image.rows, 28);
    EXPECT_EQ(train.image.cols, 28);
    EXPECT_FALSE(train.image.column_major);
    const auto [low, high] = std::minmax_element(train.X.data.begin(), train.X.data.end());
    EXPECT_EQ(*low, 0.0);
    EXPECT_EQ(*high, 1.0);
    // Fashion-MNIST is balanced: 6,000 of each class in train, 1,000 in test.
    std::vector<int> per_class(10, 0);
    for (int label : train.labels) ++per_class[static_cast<std::size_t>(label)];
    EXPECT_EQ(per_class, std::vector<int>(10, 6000));
    // The test images file on its own finds its labels beside it.
    EXPECT_EQ(load_data(std::string(fashion_folder) + "/t10k-images-idx3-ubyte.gz").train.examples(), 10000);
}

TEST(DataFormats, CsvAndIdxOfTheSameImagesAgree) {
    TempDir dir;
    const SmallSet s = learnable_set(20, 7);
    const Dataset idx = load_data(write_idx_pair(dir, "train", s, true, false)).train;
    write_file(dir.file("same.csv"), csv_of(s));
    const Dataset csv = load_data(dir.file("same.csv")).train;
    EXPECT_EQ(csv.X.data, idx.X.data);
    EXPECT_EQ(csv.labels, idx.labels);
    EXPECT_EQ(csv.classes, idx.classes);
    EXPECT_EQ(csv.label_base, idx.label_base);
    EXPECT_EQ(csv.image.rows, idx.image.rows);
    EXPECT_EQ(csv.image.column_major, idx.image.column_major);
}

}  // namespace
}  // namespace digitnet
