// Data files in every format load_data reads (.mat, IDX plain and gzip, IDX folders, CSV), told
// apart by content; every kind of broken input is an InputError naming the file; and the command
// line trains and predicts with --test-data. Small files are generated here; Debian's
// Fashion-MNIST is loaded when it is installed.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "io/csv_reader.hpp"
#include "digitnet/io/data_loader.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/model/layout.hpp"
#include "digitnet/io/mat_io.hpp"
#include "io/idx_reader.hpp"
#include "test_util.hpp"

namespace digitnet {
namespace {

using nlohmann::json;
using testing::TempDir;
using testing::write_file;

// ---- writing small IDX files -------------------------------------------------------------

void put_u32(std::string& out, std::uint32_t v) {
    for (int shift : {24, 16, 8, 0}) out += static_cast<char>((v >> shift) & 0xff);
}

std::string idx_images(std::uint32_t count, std::uint32_t rows, std::uint32_t cols,
                       const std::vector<std::uint8_t>& pixels) {
    std::string out("\x00\x00\x08\x03", 4);
    put_u32(out, count);
    put_u32(out, rows);
    put_u32(out, cols);
    out.append(pixels.begin(), pixels.end());
    return out;
}

std::string idx_labels(const std::vector<std::uint8_t>& labels) {
    std::string out("\x00\x00\x08\x01", 4);
    put_u32(out, static_cast<std::uint32_t>(labels.size()));
    out.append(labels.begin(), labels.end());
    return out;
}

void write_gz(const std::string& path, const std::string& bytes) {
    gzFile file = gzopen(path.c_str(), "wb");
    ASSERT_NE(file, nullptr);
    ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
    gzclose(file);
}

void write_maybe_gz(const std::string& path, const std::string& bytes, bool gz) {
    if (gz)
        write_gz(path, bytes);
    else
        write_file(path, bytes);
}

// A small set: `count` images of rows x cols with distinct pixel values, labels cycling 0..classes-1.
struct SmallSet {
    std::uint32_t count, rows, cols;
    std::vector<std::uint8_t> pixels, labels;
};

SmallSet small_set(std::uint32_t count, std::uint32_t rows, std::uint32_t cols, int classes) {
    SmallSet s{count, rows, cols, {}, {}};
    for (std::uint32_t i = 0; i < count * rows * cols; ++i)
        s.pixels.push_back(static_cast<std::uint8_t>((i * 37 + 11) % 256));
    for (std::uint32_t i = 0; i < count; ++i)
        s.labels.push_back(static_cast<std::uint8_t>(i % static_cast<std::uint32_t>(classes)));
    return s;
}

// Writes prefix-images-idx3-ubyte[.gz] and prefix-labels-idx1-ubyte[.gz]; returns the images path.
std::string write_idx_pair(const TempDir& dir, const std::string& prefix, const SmallSet& s, bool gz_images,
                           bool gz_labels) {
    const std::string images = dir.file(prefix + "-images-idx3-ubyte" + (gz_images ? ".gz" : ""));
    write_maybe_gz(images, idx_images(s.count, s.rows, s.cols, s.pixels), gz_images);
    write_maybe_gz(dir.file(prefix + "-labels-idx1-ubyte" + (gz_labels ? ".gz" : "")), idx_labels(s.labels), gz_labels);
    return images;
}

void expect_matches(const Dataset& data, const SmallSet& s) {
    ASSERT_EQ(data.examples(), static_cast<int>(s.count));
    ASSERT_EQ(data.features(), static_cast<int>(s.rows * s.cols));
    for (std::size_t i = 0; i < s.pixels.size(); ++i) ASSERT_DOUBLE_EQ(data.X.data[i], s.pixels[i] / 255.0) << i;
    ASSERT_EQ(data.labels.size(), s.labels.size());
    for (std::size_t i = 0; i < s.labels.size(); ++i) EXPECT_EQ(data.labels[i], s.labels[i]);
    EXPECT_EQ(data.label_base, 0);
    EXPECT_EQ(data.classes, *std::max_element(s.labels.begin(), s.labels.end()) + 1);
    EXPECT_EQ(data.image.rows, static_cast<int>(s.rows));
    EXPECT_EQ(data.image.cols, static_cast<int>(s.cols));
    EXPECT_FALSE(data.image.column_major);
}

// The call must throw InputError whose message contains every one of `parts` (the file name first).
template <class F>
void expect_input_error(F&& call, const std::vector<std::string>& parts) {
    try {
        call();
        ADD_FAILURE() << "no InputError; expected one mentioning " << parts.front();
    } catch (const InputError& e) {
        const std::string message = e.what();
        EXPECT_EQ(message.find('\n'), std::string::npos) << message;
        for (const auto& part : parts)
            EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
    }
}

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
    for (auto [count, rows, cols] : {std::array<std::uint32_t, 3>{0xffffffffu, 28, 28}, {6, 0, 3}, {6, 65535, 65535},
                                     {6, 70000, 1}, {0, 2, 3}}) {
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
    write_file(dir.file("junk.bin"), std::string("\x7f" "ELF\x02\x01\x01\x00\x00\x00", 10));
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

// ---- the command line ------------------------------------------------------------------------------

using testing::quote;

// A learnable set: class k lights up row k of a 4x4 image, with noise.
SmallSet learnable_set(std::uint32_t count, unsigned seed) {
    std::mt19937 generator(seed);
    SmallSet s{count, 4, 4, {}, {}};
    for (std::uint32_t i = 0; i < count; ++i) {
        const auto label = static_cast<std::uint8_t>(generator() % 4);
        s.labels.push_back(label);
        for (std::uint32_t p = 0; p < 16; ++p)
            s.pixels.push_back(static_cast<std::uint8_t>(p / 4 == label ? 200 + generator() % 56 : generator() % 60));
    }
    return s;
}

std::string csv_of(const SmallSet& s) {
    std::string text = "label";
    for (std::uint32_t p = 0; p < s.rows * s.cols; ++p) {
        text += ",pixel";
        text += std::to_string(p);
    }
    text += "\r\n";
    for (std::uint32_t i = 0; i < s.count; ++i) {
        text += std::to_string(s.labels[i]);
        for (std::uint32_t p = 0; p < s.rows * s.cols; ++p) {
            text += ',';  // (appending "," + to_string(...) trips GCC 12's -Wrestrict false positive)
            text += std::to_string(s.pixels[i * s.rows * s.cols + p]);
        }
        text += "\r\n";
    }
    return text;
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
                                    quote(dir.file("m.mat"))).exit_code, 0);
    ASSERT_EQ(testing::run_digitnet("show --model " + quote(dir.file("m.mat")) + " --out " + quote(dir.file("a.png")))
                  .exit_code,
              0);
    ASSERT_EQ(testing::run_digitnet("show --model " + quote(dir.file("m.mat")) + " --data " + quote(train) + " --out " +
                                    quote(dir.file("b.png"))).exit_code, 0);
    EXPECT_EQ(testing::read_file(dir.file("a.png")), testing::read_file(dir.file("b.png")));
    const auto checked = testing::run_digitnet("gradcheck --device cpu --json --examples 5 --data " + quote(train));
    ASSERT_EQ(checked.exit_code, 0) << checked.out << checked.err;
    EXPECT_LT(json::parse(checked.out)["relative_difference"].get<double>(), 1e-9);
}

}  // namespace
}  // namespace digitnet
