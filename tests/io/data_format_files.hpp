#pragma once
// Small data files for the data-format tests: IDX images and labels (plain or gzip), CSV, and
// the checks those tests share. Test-only helpers, one definition per test program.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "digitnet/errors.hpp"
#include "digitnet/model/dataset.hpp"
#include "test_util.hpp"

namespace digitnet::testing {

// ---- writing small IDX files -------------------------------------------------------------

inline void put_u32(std::string& out, std::uint32_t v) {
    for (int shift : {24, 16, 8, 0}) out += static_cast<char>((v >> shift) & 0xff);
}

inline std::string idx_images(std::uint32_t count, std::uint32_t rows, std::uint32_t cols,
                              const std::vector<std::uint8_t>& pixels) {
    std::string out("\x00\x00\x08\x03", 4);
    put_u32(out, count);
    put_u32(out, rows);
    put_u32(out, cols);
    out.append(pixels.begin(), pixels.end());
    return out;
}

inline std::string idx_labels(const std::vector<std::uint8_t>& labels) {
    std::string out("\x00\x00\x08\x01", 4);
    put_u32(out, static_cast<std::uint32_t>(labels.size()));
    out.append(labels.begin(), labels.end());
    return out;
}

inline void write_gz(const std::string& path, const std::string& bytes) {
    gzFile file = gzopen(path.c_str(), "wb");
    ASSERT_NE(file, nullptr);
    ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
    gzclose(file);
}

inline void write_maybe_gz(const std::string& path, const std::string& bytes, bool gz) {
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

inline SmallSet small_set(std::uint32_t count, std::uint32_t rows, std::uint32_t cols, int classes) {
    SmallSet s{count, rows, cols, {}, {}};
    for (std::uint32_t i = 0; i < count * rows * cols; ++i)
        s.pixels.push_back(static_cast<std::uint8_t>((i * 37 + 11) % 256));
    for (std::uint32_t i = 0; i < count; ++i)
        s.labels.push_back(static_cast<std::uint8_t>(i % static_cast<std::uint32_t>(classes)));
    return s;
}

// Writes prefix-images-idx3-ubyte[.gz] and prefix-labels-idx1-ubyte[.gz]; returns the images path.
inline std::string write_idx_pair(const TempDir& dir, const std::string& prefix, const SmallSet& s, bool gz_images,
                                  bool gz_labels) {
    std::string images = dir.file(prefix + "-images-idx3-ubyte" + (gz_images ? ".gz" : ""));
    write_maybe_gz(images, idx_images(s.count, s.rows, s.cols, s.pixels), gz_images);
    write_maybe_gz(dir.file(prefix + "-labels-idx1-ubyte" + (gz_labels ? ".gz" : "")), idx_labels(s.labels), gz_labels);
    return images;
}

inline void expect_matches(const Dataset& data, const SmallSet& s) {
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
inline void expect_input_error(F&& call, const std::vector<std::string>& parts) {
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

// A learnable set: class k lights up row k of a 4x4 image, with noise.
inline SmallSet learnable_set(std::uint32_t count, unsigned seed) {
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

inline std::string csv_of(const SmallSet& s) {
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

}  // namespace digitnet::testing
