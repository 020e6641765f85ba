// Picking the reader by the file's first bytes; see data_loader.hpp for the rules.
#include "digitnet/io/data_loader.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "csv_reader.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/io/mat_io.hpp"
#include "gz_reader.hpp"
#include "idx_reader.hpp"

namespace digitnet {

namespace fs = std::filesystem;

namespace {

// Enough for the .mat header (128 bytes), an HDF5 signature at 512, and a look at the text.
constexpr std::size_t head_bytes = 1024;

bool starts_with(std::string_view text, std::string_view prefix, std::size_t at = 0) {
    return text.size() >= at + prefix.size() && text.substr(at, prefix.size()) == prefix;
}

bool looks_like_mat(std::string_view head) {
    if (starts_with(head, "MATLAB 5.0 MAT-file") || starts_with(head, "MATLAB 7.3 MAT-file")) return true;
    // Any other level-5 header: descriptive text from "MATLAB", and the endian indicator at 126.
    if (starts_with(head, "MATLAB") && (starts_with(head, "IM", 126) || starts_with(head, "MI", 126))) return true;
    static constexpr std::string_view hdf5_signature("\x89HDF\r\n\x1a\n", 8);
    return starts_with(head, hdf5_signature, 0) || starts_with(head, hdf5_signature, 512);
}

// MATLAB v4 files have no text header: each matrix starts with five int32 (type, rows, columns,
// imaginary flag, name length) in the writer's byte order, then the name and a NUL. The type is
// M*1000 + P*10 + T with M 0 (little-endian) or 1 (big-endian), P 0..5 and T 0..2.
bool looks_like_mat_v4(std::string_view head) {
    if (head.size() < 20) return false;
    for (const bool big_endian : {false, true}) {
        auto word = [&](std::size_t i) {
            std::uint32_t value = 0;
            for (std::size_t b = 0; b < 4; ++b) {
                const auto byte = static_cast<unsigned char>(head[4 * i + (big_endian ? b : 3 - b)]);
                value = value << 8 | byte;
            }
            return value;
        };
        const std::uint32_t type = word(0), rows = word(1), cols = word(2), imaginary = word(3), name_length = word(4);
        if (type >= 2000 || type / 1000 != (big_endian ? 1u : 0u) || type / 100 % 10 != 0 || type / 10 % 10 > 5 ||
            type % 10 > 2)
            continue;
        if (rows > 0x7fffffffu || cols > 0x7fffffffu || imaginary > 1 || name_length < 2 || name_length > 64) continue;
        if (head.size() < 20 + name_length) continue;
        const std::string_view name = head.substr(20, name_length);
        const bool identifier = std::isalpha(static_cast<unsigned char>(name[0])) &&
                                std::all_of(name.begin() + 1, name.end() - 1, [](char c) {
                                    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                                });
        if (identifier && name.back() == '\0') return true;
    }
    return false;
}

std::string raw_head(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        const int error = errno;
        throw InputError(path + ": cannot be read (" + std::strerror(error) + ")");
    }
    std::string head(head_bytes, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<std::size_t>(in.gcount()));
    return head;
}

std::string train_images_of_folder(const std::string& folder) {
    const auto train_images = find_idx_images(folder, "train");
    if (!train_images)
        throw InputError(folder +
                         ": is a directory without train-images-idx3-ubyte[.gz] (an MNIST-style IDX folder holds "
                         "train-images-idx3-ubyte, train-labels-idx1-ubyte and the t10k-* test files)");
    return *train_images;
}

DataFile load_idx_folder(const std::string& folder) {
    const std::string train_images = train_images_of_folder(folder);
    DataFile file;
    file.train = load_idx(train_images);
    if (const auto test_images = find_idx_images(folder, "t10k")) {
        Dataset test = load_idx(*test_images);
        const int classes = std::max(file.train.classes, test.classes);
        file.train.classes = classes;
        test.classes = classes;
        check_test_fits(test, file.train);
        file.test = std::move(test);
    }
    return file;
}

std::string label_convention(int label_base) {
    return label_base == 1 ? "labels 1..K (the ex4 .mat convention, 10 for the digit 0)"
                           : "labels from " + std::to_string(label_base) + " (digits as they are, IDX/CSV)";
}

std::string shape_text(const ImageShape& shape) {
    return std::to_string(shape.rows) + "x" + std::to_string(shape.cols) +
           (shape.column_major ? " column-major (MATLAB order)" : " row-major");
}

}  // namespace

DataFormat detect_data_format(const std::string& path) {
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (status.type() == fs::file_type::not_found) throw InputError(path + ": no such file");
    if (ec) throw InputError(path + ": cannot be read (" + ec.message() + ")");
    if (fs::is_directory(status)) return DataFormat::IdxFolder;
    const std::string raw = raw_head(path);
    if (starts_with(raw, "\x1f\x8b")) {  // gzip: look at what it holds
        const std::string head = read_head(path, head_bytes);
        if (looks_like_mat(head))
            throw InputError(path +
                             ": a gzip-compressed .mat file; matio reads only uncompressed files (gunzip it first)");
        if (looks_like_idx(head)) return DataFormat::Idx;
        if (looks_like_text(head)) return DataFormat::Csv;
        throw InputError(path + ": not a .mat, IDX or CSV file (gzip-compressed binary data of an unknown kind)");
    }
    if (looks_like_mat(raw)) return DataFormat::Mat;
    if (looks_like_idx(raw)) return DataFormat::Idx;
    if (looks_like_mat_v4(raw)) return DataFormat::Mat;
    if (looks_like_text(raw)) return DataFormat::Csv;
    throw InputError(path + ": not a .mat, IDX or CSV file (binary data of an unknown kind)");
}

DataFile load_data(const std::string& path) {
    switch (detect_data_format(path)) {
        case DataFormat::Mat:
            return load_mat_data(path);
        case DataFormat::IdxFolder:
            return load_idx_folder(path);
        case DataFormat::Idx:
            return DataFile{load_idx(path), std::nullopt};
        case DataFormat::Csv:
            try {
                return DataFile{load_csv(path), std::nullopt};
            } catch (const InputError& e) {
                // Text in a file named .mat: most likely a mistake, so say both things.
                if (fs::path(path).extension() != ".mat") throw;
                std::string reason = e.what();
                if (reason.rfind(path + ": ", 0) == 0) reason.erase(0, path.size() + 2);
                throw InputError(path +
                                 ": not a MATLAB .mat file (it has no MATLAB header), and as CSV text: " + reason);
            }
    }
    throw InputError(path + ": unknown data format");
}

namespace {

DataShard whole_then_cut(const Dataset& data, const RowChooser& choose) {
    DataShard shard;
    shard.total = data.examples();
    shard.rows = choose(shard.total);
    shard.data = take_rows(data, shard.rows);
    return shard;
}

}  // namespace

DataFileShard load_data_shard(const std::string& path, const RowChooser& choose) {
    switch (detect_data_format(path)) {
        case DataFormat::Mat: {
            DataFile file = load_mat_data(path);
            DataFileShard shard{whole_then_cut(file.train, choose), std::nullopt};
            if (file.test) shard.test = whole_then_cut(*file.test, choose);
            return shard;
        }
        case DataFormat::IdxFolder: {
            DataFileShard shard{load_idx_rows(train_images_of_folder(path), choose), std::nullopt};
            if (const auto test_images = find_idx_images(path, "t10k"))
                shard.test = load_idx_rows(*test_images, choose);
            return shard;
        }
        case DataFormat::Idx:
            return DataFileShard{load_idx_rows(path, choose), std::nullopt};
        case DataFormat::Csv:
            return DataFileShard{load_csv_rows(path, choose), std::nullopt};
    }
    throw InputError(path + ": unknown data format");
}

DataShard load_test_set_shard(const std::string& path, const RowChooser& choose) {
    DataFileShard file = load_data_shard(path, choose);
    return file.test ? std::move(*file.test) : std::move(file.train);
}

Dataset load_test_set(const std::string& path) {
    DataFile file = load_data(path);
    return file.test ? std::move(*file.test) : std::move(file.train);
}

Dataset load_test_data(const std::string& path, const Dataset& train) {
    Dataset test = load_test_set(path);
    check_test_fits(test, train);
    return test;
}

void check_test_fits(Dataset& test, const Dataset& train) {
    if (test.features() != train.features())
        throw InputError(test.source + ": the test data has " + std::to_string(test.features()) +
                         " features per example but the training data (" + train.source + ") has " +
                         std::to_string(train.features()));
    if (test.label_base != train.label_base)
        throw InputError(test.source + ": the test data uses " + label_convention(test.label_base) +
                         " but the training data (" + train.source + ") uses " + label_convention(train.label_base));
    const ImageShape &a = test.image, &b = train.image;
    if (a.rows && b.rows && (a.rows != b.rows || a.cols != b.cols || a.column_major != b.column_major))
        throw InputError(test.source + ": the test images are " + shape_text(a) + " but the training images (" +
                         train.source + ") are " + shape_text(b) + "; their pixels do not line up");
    for (std::size_t i = 0; i < test.labels.size(); ++i)
        if (test.labels[i] >= train.classes)
            throw InputError(test.source + ": label " + std::to_string(test.labels[i] + test.label_base) +
                             " of example " + std::to_string(i + 1) + " is beyond the training data's labels (" +
                             std::to_string(train.label_base) + ".." +
                             std::to_string(train.classes - 1 + train.label_base) + ")");
    test.classes = train.classes;
}

}  // namespace digitnet
