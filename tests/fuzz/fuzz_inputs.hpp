#pragma once
// What each fuzz target does with one input, shared by the libFuzzer entry points (fuzz_*.cpp)
// and by the GoogleTest that replays tests/fuzz/regressions and tests/fuzz/corpus in the normal
// build (tests/test_fuzz_regressions.cpp).
//
// The contract under test: a reader given any bytes either returns a valid data set (or model),
// or throws digitnet::InputError. Any other exception, a crash, a hang, or a sanitizer report is
// a bug. InputError is swallowed here; everything else propagates to the caller.
// For the writers (fuzz_writers), the contract is the one of safe_output.hpp: whichever system
// call fails, the previous file is intact, no temporary file is left, and OutputError says so.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "digitnet/errors.hpp"
#include "digitnet/io/data_loader.hpp"
#include "digitnet/io/image_input.hpp"
#include "digitnet/io/mat_io.hpp"
#include "digitnet/io/model_file.hpp"
#include "digitnet/io/npz_file.hpp"
#include "digitnet/io/png_image.hpp"
#include "digitnet/io/safe_output.hpp"
#include "digitnet/io/safetensors_file.hpp"
#include "digitnet/model/model_info.hpp"
#include "io/csv_reader.hpp"

namespace digitnet::fuzz {

inline void write_bytes(const std::filesystem::path& path, std::string_view bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("fuzz harness: cannot write " + path.string());
}

inline std::string read_file_or_empty(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Runs `read`, treating InputError as the expected answer to bad input.
template <class Read>
void expect_value_or_input_error(Read&& read) {
    try {
        read();
    } catch (const InputError&) {
    }
}

// What every data reader promises about the data set it returns.
inline void check_dataset(const Dataset& data, const std::string& path) {
    try {
        validate_dataset(data, path);
    } catch (const InputError& e) {  // the reader returned what it should have refused
        throw std::logic_error(std::string("reader returned an invalid data set: ") + e.what());
    }
    if (data.X.data.size() != static_cast<std::size_t>(data.X.rows) * static_cast<std::size_t>(data.X.cols))
        throw std::logic_error(path + ": X's storage does not match its shape");
    if (data.image.rows > 0 && data.image.rows * data.image.cols != data.features())
        throw std::logic_error(path + ": image shape does not match the features");
}

inline std::filesystem::path fresh_folder(const std::filesystem::path& scratch, const char* name) {
    std::filesystem::path folder = scratch / name;
    std::filesystem::remove_all(folder);
    std::filesystem::create_directories(folder);
    return folder;
}

// The bytes of one .mat file, read as a data set, as a weights file and for the model's
// digitnet_* variables. matio parses the container (after mat_file_check.cpp has walked its
// headers); what we check is our own validation of what it hands back.
inline void read_mat(std::string_view bytes, const std::filesystem::path& scratch) {
    const std::string path = (fresh_folder(scratch, "mat") / "input.mat").string();
    write_bytes(path, bytes);
    expect_value_or_input_error([&] {
        const DataFile file = load_mat_data(path);
        check_dataset(file.train, path);
        if (file.test) check_dataset(*file.test, path);
    });
    int inputs = 400;
    expect_value_or_input_error([&] {
        const Parameters p = load_weights(path);
        if (p.values.size() != p.layout.parameter_count()) throw std::logic_error("load_weights: size mismatch");
        inputs = p.layout.inputs();
    });
    expect_value_or_input_error([&] {
        const ModelInfo info = load_model_info(path, inputs);
        if (info.image.rows > 0 && info.image.rows * info.image.cols != inputs)
            throw std::logic_error("load_model_info: image shape does not match the inputs");
    });
}

// Whether matio reads these bytes as a v7.3 file, through libhdf5: a 128-byte header whose
// endian indicator is "IM" or "MI" and whose version is 0x0200 (as matio's Mat_Open decides).
inline bool is_mat73(std::string_view bytes) {
    if (bytes.size() < 128) return false;
    const auto byte = [&](std::size_t i) { return static_cast<unsigned>(static_cast<unsigned char>(bytes[i])); };
    const bool little = bytes[126] == 'I' && bytes[127] == 'M', big = bytes[126] == 'M' && bytes[127] == 'I';
    const unsigned version = little ? (byte(124) | byte(125) << 8) : (byte(124) << 8 | byte(125));
    return (little || big) && version == 0x0200;
}

// fuzz_mat_data: .mat files that matio parses itself (v4, v5 plain and compressed).
// fuzz_mat73: v7.3 files, which matio hands to libhdf5. Kept apart because libhdf5 1.10.8
// (Debian 12) has memory-safety bugs on damaged files that no check of ours can reach: the
// fuzzer finds heap overflows inside its attribute decoding within minutes
// (tests/fuzz/third_party_crashes/). CI runs fuzz_mat_data only; see scripts/ci_sanitizers.sh.
inline void mat_data(std::string_view bytes, const std::filesystem::path& scratch) {
    if (!is_mat73(bytes)) read_mat(bytes, scratch);
}
inline void mat73(std::string_view bytes, const std::filesystem::path& scratch) {
    if (is_mat73(bytes)) read_mat(bytes, scratch);
}

// fuzz_idx: the bytes are an images file and a labels file: a 4-byte big-endian length L, then L
// bytes of the images file, then the labels file (shorter inputs: all images, no labels). Both
// are written with MNIST's names into a folder, and read as a pair from either file and as a
// folder. Either may be gzip-compressed (the reader decompresses what starts with 1f 8b).
struct IdxFiles {
    std::filesystem::path folder;
    std::string images, labels;  // paths
};

inline IdxFiles write_idx_pair(std::string_view bytes, const std::filesystem::path& scratch) {
    std::string_view images = bytes, labels;
    if (bytes.size() >= 4) {
        const auto b = [&](std::size_t i) { return static_cast<std::size_t>(static_cast<unsigned char>(bytes[i])); };
        const std::size_t length = std::min(b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3), bytes.size() - 4);
        images = bytes.substr(4, length);
        labels = bytes.substr(4 + length);
    }
    IdxFiles files{fresh_folder(scratch, "idx"), {}, {}};
    files.images = (files.folder / "train-images-idx3-ubyte").string();
    files.labels = (files.folder / "train-labels-idx1-ubyte").string();
    write_bytes(files.images, images);
    write_bytes(files.labels, labels);
    return files;
}

inline void idx(std::string_view bytes, const std::filesystem::path& scratch) {
    const IdxFiles files = write_idx_pair(bytes, scratch);
    const std::filesystem::path& folder = files.folder;
    const std::string &images_path = files.images, &labels_path = files.labels;
    for (const std::string& path : {images_path, labels_path}) {
        expect_value_or_input_error([&] {
            const DataFile file = load_data(path);
            check_dataset(file.train, path);
        });
    }
    expect_value_or_input_error([&] {
        const DataFile file = load_data(folder.string());
        check_dataset(file.train, folder.string());
    });
}

// fuzz_csv: the bytes are one CSV file (plain or gzip), read by the CSV reader and through the
// format detection of load_data (which may send it elsewhere when the bytes are not text).
inline void csv(std::string_view bytes, const std::filesystem::path& scratch) {
    const std::string path = (fresh_folder(scratch, "csv") / "input.csv").string();
    write_bytes(path, bytes);
    expect_value_or_input_error([&] { check_dataset(load_csv(path), path); });
    expect_value_or_input_error([&] {
        const DataFile file = load_data(path);
        check_dataset(file.train, path);
        if (file.test) check_dataset(*file.test, path);
    });
}

// fuzz_png: the bytes are one PNG file (predict --image), read and turned into the input of a
// model of each pixel order and polarity.
inline void png(std::string_view bytes, const std::filesystem::path& scratch) {
    const std::string path = (fresh_folder(scratch, "png") / "input.png").string();
    write_bytes(path, bytes);
    expect_value_or_input_error([&] {
        const GrayImage picture = read_png(path);
        if (picture.width <= 0 || picture.height <= 0 ||
            picture.pixels.size() != static_cast<std::size_t>(picture.width) * static_cast<std::size_t>(picture.height))
            throw std::logic_error("read_png: pixels do not match the size");
        ModelInfo ex4 = default_model_info(400), mnist;
        mnist.image = {28, 28, /*column_major=*/false};
        mnist.background = 1.0;  // dark ink on white
        mnist.ink = 0.0;
        mnist.digit_box = 20.0;  // MNIST's box in its 28x28 field
        mnist.centre_row = mnist.centre_col = 14.0;
        for (const ModelInfo& info : {ex4, mnist}) {
            const std::vector<double> input = image_to_input(picture, info);
            if (input.size() != static_cast<std::size_t>(info.image.rows) * static_cast<std::size_t>(info.image.cols))
                throw std::logic_error("image_to_input: wrong size");
            for (double v : input)
                if (!(v >= 0.0 && v <= 1.0))
                    throw std::logic_error("image_to_input: a value outside the model's levels");
        }
    });
}

// fuzz_writers: byte 0 picks the system call that fails (0: none), byte 1 its error, byte 2 the
// writer (text, model, PNG); the rest is what is written.
inline void writers(std::string_view bytes, const std::filesystem::path& scratch) {
    if (bytes.size() < 3) return;
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
    const int errors[] = {ENOSPC, EFBIG, EIO, EDQUOT};
    const std::string_view content = bytes.substr(3);
    const std::filesystem::path folder = fresh_folder(scratch, "writers");
    const std::string path = (folder / "out.png").string(), previous = "the previous file";
    write_bytes(path, previous);
    struct HookOff {
        ~HookOff() { fail_output_call_for_testing(0, 0); }
    } hook_off;
    fail_output_call_for_testing(byte(0) % 12, errors[byte(1) % 4]);
    const auto value = [&](std::size_t i) {
        return content.empty() ? 0.0 : static_cast<unsigned char>(content[i % content.size()]) / 255.0;
    };
    try {
        if (byte(2) % 3 == 0) {
            write_output_file(path, content);
            if (std::string_view(read_file_or_empty(path)) != content)
                throw std::logic_error("write_output_file: wrong contents");
        } else if (byte(2) % 3 == 1) {
            Parameters p(make_layout(1 + static_cast<int>(content.size() % 5), {2}, 2));
            for (std::size_t i = 0; i < p.values.size(); ++i) p.values[i] = value(i) - 0.5;
            save_weights(path, p);
            if (load_weights(path).values != p.values)
                throw std::logic_error("save_weights: the model does not read back");
        } else {
            GrayImage image;
            image.width = 1 + static_cast<int>(content.size() % 16);
            image.height = 1 + static_cast<int>(content.size() / 16 % 16);
            for (int i = 0; i < image.width * image.height; ++i)
                image.pixels.push_back(value(static_cast<std::size_t>(i)));
            write_png(path, image);
            const GrayImage back = read_png(path);
            if (back.width != image.width || back.height != image.height)
                throw std::logic_error("write_png: the image does not read back");
        }
    } catch (const OutputError&) {
        if (read_file_or_empty(path) != previous) throw std::logic_error("a failed write changed the previous file");
    }
    int files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(folder)) files += entry.is_regular_file();
    if (files != 1) throw std::logic_error("a writer left a temporary file behind");
}

// fuzz_safetensors, fuzz_npz: the bytes are one model file, read through read_model_file (which
// goes by the extension). A model it returns must be whole (finite weights, as many as its layout
// has, an image shape that fits its inputs) and must come back unchanged from its own format
// written in float64.
inline void check_travelling_model(const ModelFile& model, const std::string& path) {
    const Parameters& p = model.parameters;
    if (p.values.size() != p.layout.parameter_count()) throw std::logic_error(path + ": weights do not fit the layout");
    for (double v : p.values)
        if (!std::isfinite(v)) throw std::logic_error(path + ": a non-finite weight was accepted");
    if (model.info.image.rows > 0 && model.info.image.rows * model.info.image.cols != p.layout.inputs())
        throw std::logic_error(path + ": image shape does not match the inputs");
    const bool npz = path.size() > 4 && path.substr(path.size() - 4) == ".npz";
    const ModelFile back = npz ? parse_npz(encode_npz(model, TensorType::Float64, path), path, {})
                               : parse_safetensors(encode_safetensors(model, TensorType::Float64), path, {});
    if (back.parameters.values != p.values || !(back.parameters.layout == p.layout) ||
        back.info.label_base != model.info.label_base || back.info.image.rows != model.info.image.rows ||
        back.info.background != model.info.background || back.info.digit_box != model.info.digit_box)
        throw std::logic_error(path + ": the model read does not survive its own format");
}

inline void read_travelling_model(std::string_view bytes, const std::filesystem::path& scratch, const char* name) {
    const std::string path = (fresh_folder(scratch, "model") / name).string();
    write_bytes(path, bytes);
    expect_value_or_input_error([&] { check_travelling_model(read_model_file(path), path); });
}
inline void safetensors(std::string_view bytes, const std::filesystem::path& scratch) {
    read_travelling_model(bytes, scratch, "input.safetensors");
}
inline void npz(std::string_view bytes, const std::filesystem::path& scratch) {
    read_travelling_model(bytes, scratch, "input.npz");
}

// Every target by name: the fuzzers use one each, the regression test all of them.
struct Target {
    const char* name;
    void (*run)(std::string_view bytes, const std::filesystem::path& scratch);
};

inline const std::vector<Target>& targets() {
    static const std::vector<Target> all{
        {"fuzz_mat_data", mat_data},
        {"fuzz_mat73", mat73},
        {"fuzz_idx", idx},
        {"fuzz_csv", csv},
        {"fuzz_png", png},
        {"fuzz_writers", writers},
        {"fuzz_safetensors", safetensors},
        {"fuzz_npz", npz},
    };
    return all;
}

}  // namespace digitnet::fuzz
