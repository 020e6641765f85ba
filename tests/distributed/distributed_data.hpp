#pragma once
// Small learnable data files for the multi-process tests: each class a fixed pattern of pixels
// plus noise, as an MNIST-style IDX folder (train-* and t10k-*) or as CSV text.
#include <zlib.h>

#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_util.hpp"

namespace digitnet::testing {

struct PixelSet {
    int count = 0, side = 0;
    std::vector<std::uint8_t> pixels;  // count x side*side, row-major
    std::vector<std::uint8_t> labels;
};

inline PixelSet pattern_set(int count, int side, int classes, unsigned seed) {
    std::mt19937 generator(seed);
    std::mt19937 patterns(12345);  // the same class patterns in every set
    const int n = side * side;
    std::vector<std::vector<int>> pattern(static_cast<std::size_t>(classes),
                                          std::vector<int>(static_cast<std::size_t>(n)));
    for (auto& p : pattern)
        for (int& v : p) v = static_cast<int>(patterns() % 200);
    PixelSet s{count, side, {}, {}};
    for (int i = 0; i < count; ++i) {
        const int label = static_cast<int>(generator() % static_cast<unsigned>(classes));
        s.labels.push_back(static_cast<std::uint8_t>(label));
        for (int j = 0; j < n; ++j)
            s.pixels.push_back(
                static_cast<std::uint8_t>(pattern[static_cast<std::size_t>(label)][static_cast<std::size_t>(j)] +
                                          static_cast<int>(generator() % 56)));
    }
    return s;
}

inline void put_big_endian(std::string& out, std::uint32_t v) {
    for (int shift : {24, 16, 8, 0}) out += static_cast<char>((v >> shift) & 0xff);
}

// prefix-images-idx3-ubyte and prefix-labels-idx1-ubyte in `folder`.
inline void write_idx(const std::string& folder, const std::string& prefix, const PixelSet& s) {
    std::string images("\x00\x00\x08\x03", 4), labels("\x00\x00\x08\x01", 4);
    put_big_endian(images, static_cast<std::uint32_t>(s.count));
    put_big_endian(images, static_cast<std::uint32_t>(s.side));
    put_big_endian(images, static_cast<std::uint32_t>(s.side));
    images.append(s.pixels.begin(), s.pixels.end());
    put_big_endian(labels, static_cast<std::uint32_t>(s.count));
    labels.append(s.labels.begin(), s.labels.end());
    write_file(folder + "/" + prefix + "-images-idx3-ubyte", images);
    write_file(folder + "/" + prefix + "-labels-idx1-ubyte", labels);
}

inline void write_gz(const std::string& path, const std::string& bytes) {
    gzFile file = gzopen(path.c_str(), "wb");
    if (!file) throw std::runtime_error("cannot create " + path);
    const int written = gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(file);
    if (written != static_cast<int>(bytes.size())) throw std::runtime_error("cannot write " + path);
}

// label,pixel,... lines with a header line; `bad_row` (0-based data row, -1: none) gets a pixel
// that is not a number.
inline void write_csv(const std::string& path, const PixelSet& s, int bad_row = -1) {
    std::string text = "label";
    const int n = s.side * s.side;
    for (int j = 0; j < n; ++j) {
        text += ",p";
        text += std::to_string(j);
    }
    text += "\n";
    for (int i = 0; i < s.count; ++i) {
        text += std::to_string(s.labels[static_cast<std::size_t>(i)]);
        for (int j = 0; j < n; ++j) {
            text += ',';
            text += i == bad_row && j == 3 ? std::string("oops")
                                           : std::to_string(s.pixels[static_cast<std::size_t>(i) * n + j]);
        }
        text += "\n";
    }
    write_file(path, text);
}

}  // namespace digitnet::testing
