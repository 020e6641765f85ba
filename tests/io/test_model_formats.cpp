// Model files that travel: .safetensors and .npz in PyTorch's names, read and written through
// read_model_file / write_model_file, their round trips with .mat, and every damaged file refused
// with one line naming the file and the problem.
#include <gtest/gtest.h>
#include <zip.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>

#include "digitnet/errors.hpp"
#include "digitnet/io/mat_io.hpp"
#include "digitnet/io/model_file.hpp"
#include "digitnet/io/npz_file.hpp"
#include "digitnet/io/onnx_export.hpp"
#include "digitnet/io/safetensors_file.hpp"
#include "digitnet/io/torch_tensors.hpp"
#include "test_util.hpp"

namespace digitnet {
namespace {

using json = nlohmann::json;

// A model whose every metadata field differs from the defaults, so a field lost on the way shows.
ModelFile unusual_model(Activation hidden = Activation::Relu, Output output = Output::Softmax) {
    ModelFile model;
    model.parameters = random_parameters(make_layout(12, {5, 4}, 3, hidden, output), 11);
    model.parameters.values[3] = 1e-310;  // a subnormal: float64 keeps it, float32 makes it 0
    model.parameters.values[4] = 0.1;     // not a float
    model.info.label_base = 0;
    model.info.image = {3, 4, /*column_major=*/false};
    model.info.background = 0.25;
    model.info.ink = 0.9000000000000001;
    model.info.digit_box = 2.5;
    model.info.centre_row = 1.5;
    model.info.centre_col = 2.125;
    model.info.stroke_width = 0.3;
    return model;
}

void expect_same_info(const ModelInfo& a, const ModelInfo& b) {
    EXPECT_EQ(a.label_base, b.label_base);
    EXPECT_EQ(a.image.rows, b.image.rows);
    EXPECT_EQ(a.image.cols, b.image.cols);
    EXPECT_EQ(a.image.column_major, b.image.column_major);
    EXPECT_EQ(a.background, b.background);
    EXPECT_EQ(a.ink, b.ink);
    EXPECT_EQ(a.digit_box, b.digit_box);
    EXPECT_EQ(a.centre_row, b.centre_row);
    EXPECT_EQ(a.centre_col, b.centre_col);
    EXPECT_EQ(a.stroke_width, b.stroke_width);
}

std::vector<double> rounded_to_float(std::vector<double> values) {
    for (double& v : values) v = static_cast<float>(v);
    return values;
}

// InputError whose message names `path` and contains `problem`.
template <class Read>
void expect_refused(Read&& read, const std::string& path, const std::string& problem) {
    try {
        read();
        ADD_FAILURE() << path << ": accepted, expected an error about " << problem;
    } catch (const InputError& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find(path), std::string::npos) << message;
        EXPECT_NE(message.find(problem), std::string::npos) << message;
        EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
}

class TravellingFormats : public ::testing::TestWithParam<std::string> {};

TEST_P(TravellingFormats, Float64KeepsEveryBitAndEveryField) {
    testing::TempDir dir;
    const ModelFile model = unusual_model();
    const std::string path = dir.file("m" + GetParam());
    write_model_file(path, model, {TensorType::Float64});
    const ModelFile back = read_model_file(path);
    EXPECT_EQ(back.parameters.layout, model.parameters.layout);
    EXPECT_EQ(back.parameters.values, model.parameters.values);
    expect_same_info(back.info, model.info);
}

TEST_P(TravellingFormats, Float32RoundsEachWeightOnce) {
    testing::TempDir dir;
    const ModelFile model = unusual_model(Activation::Tanh, Output::Sigmoid);
    const std::string path = dir.file("m" + GetParam());
    write_model_file(path, model);  // float32 by default, as PyTorch keeps weights
    const ModelFile back = read_model_file(path);
    EXPECT_EQ(back.parameters.layout, model.parameters.layout);
    EXPECT_EQ(back.parameters.values, rounded_to_float(model.parameters.values));
    EXPECT_NE(back.parameters.values, model.parameters.values);
    expect_same_info(back.info, model.info);
}

TEST_P(TravellingFormats, MatToItAndBackKeepsTheWholeModel) {
    testing::TempDir dir;
    const ModelFile model = unusual_model();
    write_model_file(dir.file("a.mat"), model);
    write_model_file(dir.file("b" + GetParam()), read_model_file(dir.file("a.mat")), {TensorType::Float64});
    write_model_file(dir.file("c.mat"), read_model_file(dir.file("b" + GetParam())));
    const ModelFile back = read_model_file(dir.file("c.mat"));
    EXPECT_EQ(back.parameters.layout, model.parameters.layout);
    EXPECT_EQ(back.parameters.values, model.parameters.values);
    expect_same_info(back.info, model.info);
    // And float32 on the way: the weights rounded once, the metadata whole.
    write_model_file(dir.file("d" + GetParam()), read_model_file(dir.file("a.mat")));
    write_model_file(dir.file("e.mat"), read_model_file(dir.file("d" + GetParam())));
    const ModelFile rounded = read_model_file(dir.file("e.mat"));
    EXPECT_EQ(rounded.parameters.values, rounded_to_float(model.parameters.values));
    expect_same_info(rounded.info, model.info);
}

TEST_P(TravellingFormats, TheSeedsWeightsTravel) {
    if (!testing::have_ex4weights()) GTEST_SKIP() << "no " << testing::ex4weights_path();
    testing::TempDir dir;
    const ModelFile seed = read_model_file(testing::ex4weights_path());
    write_model_file(dir.file("seed" + GetParam()), seed, {TensorType::Float64});
    const ModelFile back = read_model_file(dir.file("seed" + GetParam()));
    EXPECT_EQ(back.parameters.layout.describe(), "400-25-10");
    EXPECT_EQ(back.parameters.values, seed.parameters.values);
    expect_same_info(back.info, seed.info);
}

TEST_P(TravellingFormats, SameModelSameBytes) {
    testing::TempDir dir;
    write_model_file(dir.file("a" + GetParam()), unusual_model());
    write_model_file(dir.file("b" + GetParam()), unusual_model());
    EXPECT_EQ(testing::read_file(dir.file("a" + GetParam())), testing::read_file(dir.file("b" + GetParam())));
}

INSTANTIATE_TEST_SUITE_P(Formats, TravellingFormats, ::testing::Values(".safetensors", ".npz"),
                         [](const auto& test) { return test.param.substr(1); });

TEST(ModelFormats, ExtensionsChooseTheFormat) {
    EXPECT_EQ(model_format_of("a/m.safetensors"), ModelFormat::Safetensors);
    EXPECT_EQ(model_format_of("M.NPZ"), ModelFormat::Npz);
    EXPECT_EQ(model_format_of("m.onnx"), ModelFormat::Onnx);
    EXPECT_EQ(model_format_of("m.mat"), ModelFormat::Mat);
    EXPECT_EQ(model_format_of("model"), ModelFormat::Mat);  // the seed's format, whatever the name
    expect_refused([] { read_model_file("m.onnx"); }, "m.onnx", "does not read");
}

TEST(ModelFormats, TensorsHavePyTorchsNamesAndShapes) {
    const Parameters p = random_parameters(make_layout(4, {3, 2}, 5), 3);
    const auto tensors = torch_state_dict(p);
    ASSERT_EQ(tensors.size(), 6u);
    EXPECT_EQ(tensors[0].first, "0.weight");
    EXPECT_EQ(tensors[0].second.shape, (std::vector<std::int64_t>{3, 4}));
    EXPECT_EQ(tensors[1].first, "0.bias");
    EXPECT_EQ(tensors[1].second.shape, (std::vector<std::int64_t>{3}));
    EXPECT_EQ(tensors[4].first, "4.weight");
    EXPECT_EQ(tensors[4].second.shape, (std::vector<std::int64_t>{5, 2}));
    // weight[r][c] is Theta(r, c + 1), bias[r] is Theta(r, 0).
    EXPECT_EQ(tensors[2].second.values[1 * 3 + 2], p.at(2, 1, 3));
    EXPECT_EQ(tensors[3].second.values[1], p.at(2, 1, 0));
}

TEST(ModelFormats, AnySequentialNumberingReads) {
    // nn.Sequential(Linear, ReLU, Dropout, Linear): modules 0 and 3.
    std::map<std::string, Tensor> tensors{{"0.weight", {{2, 3}, {1, 2, 3, 4, 5, 6}}},
                                          {"0.bias", {{2}, {7, 8}}},
                                          {"3.weight", {{2, 2}, {9, 10, 11, 12}}},
                                          {"3.bias", {{2}, {13, 14}}}};
    const Parameters p = parameters_from_state_dict(tensors, "x");
    EXPECT_EQ(p.layout.sizes, (std::vector<int>{3, 2, 2}));
    EXPECT_EQ(p.values, (std::vector<double>{7, 1, 2, 3, 8, 4, 5, 6, 13, 9, 10, 14, 11, 12}));
}

// --- files without digitnet's metadata: the assumptions ---

std::string safetensors_of(const std::string& header, const std::string& data) {
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i)
        bytes[static_cast<std::size_t>(i)] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
    return bytes + header + data;
}

TEST(ModelFormats, AFileWithoutMetadataTakesTheAssumptions) {
    testing::TempDir dir;
    // A state_dict as PyTorch's own safetensors writer leaves it: tensors and {"format": "pt"}.
    const std::string path = dir.file("plain.safetensors");
    std::string data(4 * (2 * 3 + 2 + 2 * 2 + 2), '\0');
    const json header = {{"0.weight", {{"dtype", "F32"}, {"shape", {2, 3}}, {"data_offsets", {0, 24}}}},
                         {"0.bias", {{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {24, 32}}}},
                         {"2.weight", {{"dtype", "F32"}, {"shape", {2, 2}}, {"data_offsets", {32, 48}}}},
                         {"2.bias", {{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {48, 56}}}},
                         {"__metadata__", {{"format", "pt"}}}};
    testing::write_file(path, safetensors_of(header.dump(), data));

    const ModelFile seed = read_model_file(path);
    EXPECT_EQ(seed.parameters.layout.hidden, Activation::Sigmoid);
    EXPECT_EQ(seed.parameters.layout.output, Output::Sigmoid);
    EXPECT_EQ(seed.info.label_base, 1);
    EXPECT_EQ(seed.parameters.layout.sizes, (std::vector<int>{3, 2, 2}));

    const ModelFile relu = read_model_file(path, {Activation::Relu, Output::Softmax, 0});
    EXPECT_EQ(relu.parameters.layout.hidden, Activation::Relu);
    EXPECT_EQ(relu.parameters.layout.output, Output::Softmax);
    EXPECT_EQ(relu.info.label_base, 0);
}

TEST(ModelFormats, RecordedConventionsWinOverNoneAndRefuseOthers) {
    testing::TempDir dir;
    for (const std::string name : {"m.safetensors", "m.npz", "m.mat"}) {
        const std::string path = dir.file(name);
        write_model_file(path, unusual_model());  // relu, softmax, label base 0
        EXPECT_EQ(read_model_file(path, {Activation::Relu, Output::Softmax, 0}).parameters.layout.hidden,
                  Activation::Relu);
        expect_refused([&] { read_model_file(path, {Activation::Tanh, {}, {}}); }, path, "--activation");
        expect_refused([&] { read_model_file(path, {{}, Output::Sigmoid, {}}); }, path, "--output");
        expect_refused([&] { read_model_file(path, {{}, {}, 1}); }, path, "--label-base");
    }
    // The seed's .mat records nothing: it takes what it is told.
    if (testing::have_ex4weights()) {
        EXPECT_EQ(read_model_file(testing::ex4weights_path(), {Activation::Tanh, {}, {}}).parameters.layout.hidden,
                  Activation::Tanh);
    }
}

// --- damaged .safetensors files ---

// A valid two-layer file's header and data, for the tests to break one thing at a time.
struct SmallSafetensors {
    json header = {{"0.weight", {{"dtype", "F32"}, {"shape", {2, 3}}, {"data_offsets", {0, 24}}}},
                   {"0.bias", {{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {24, 32}}}},
                   {"2.weight", {{"dtype", "F32"}, {"shape", {2, 2}}, {"data_offsets", {32, 48}}}},
                   {"2.bias", {{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {48, 56}}}}};
    std::string data = std::string(56, '\0');
    std::string bytes() const { return safetensors_of(header.dump(), data); }
};

TEST(SafetensorsFile, TheValidOneReads) {
    EXPECT_EQ(parse_safetensors(SmallSafetensors().bytes(), "s", {}).parameters.layout.sizes,
              (std::vector<int>{3, 2, 2}));
}

TEST(SafetensorsFile, EveryTruncationIsRefused) {
    testing::TempDir dir;
    const std::string whole = encode_safetensors(unusual_model(), TensorType::Float32);
    const std::string path = dir.file("cut.safetensors");
    for (std::size_t size = 0; size < whole.size(); size += (size < 64 ? 1 : 97)) {
        testing::write_file(path, whole.substr(0, size));
        EXPECT_THROW(read_model_file(path), InputError) << size << " bytes";
    }
    testing::write_file(path, whole.substr(0, 5));
    expect_refused([&] { read_model_file(path); }, path, "too short");
    testing::write_file(path, whole.substr(0, whole.size() - 1));
    expect_refused([&] { read_model_file(path); }, path, "outside the");
}

TEST(SafetensorsFile, DamagedHeadersAreRefused) {
    const std::string p = "bad.safetensors";
    const auto refused = [&](const std::string& bytes, const std::string& problem) {
        expect_refused([&] { parse_safetensors(bytes, p, {}); }, p, problem);
    };
    refused(std::string("\xff\xff\xff\xff\xff\xff\xff\x7f{}", 10), "runs past the end");
    refused(safetensors_of("{\"0.weight\": {", ""), "not JSON");
    refused(safetensors_of("[1, 2]", ""), "not a JSON object");
    refused(safetensors_of("{}", ""), "no tensors");

    SmallSafetensors dtype;
    dtype.header["0.bias"]["dtype"] = "I32";
    refused(dtype.bytes(), "dtype \"I32\"");
    SmallSafetensors bytes_count;
    bytes_count.header["0.weight"]["shape"] = {3, 3};
    refused(bytes_count.bytes(), "need 36");
    SmallSafetensors outside;
    outside.header["2.bias"]["data_offsets"] = {48, 64};
    refused(outside.bytes(), "outside the 56 bytes");
    SmallSafetensors overlap;
    overlap.header["0.bias"]["data_offsets"] = {16, 24};
    overlap.header["0.weight"]["shape"] = {2, 2};
    overlap.header["0.weight"]["data_offsets"] = {0, 16};
    overlap.header["2.weight"]["data_offsets"] = {16, 32};
    refused(overlap.bytes(), "overlap");
    SmallSafetensors trailing;
    trailing.data += "junk";
    refused(trailing.bytes(), "after its last tensor");
    SmallSafetensors missing;
    missing.header.erase("2.bias");
    missing.data.resize(48);
    refused(missing.bytes(), "no 2.bias");
    SmallSafetensors chain;
    chain.header["2.weight"]["shape"] = {1, 4};
    chain.header["2.bias"] = {{"dtype", "F32"}, {"shape", {1}}, {"data_offsets", {48, 52}}};
    chain.data.resize(52);
    refused(chain.bytes(), "2.weight has shape [1, 4] but the layer below has 2 units");
    SmallSafetensors bias;
    bias.header["0.bias"]["shape"] = {1, 2};
    refused(bias.bytes(), "0.bias has shape [1, 2]");
    SmallSafetensors stranger;
    stranger.header["fc.weight"] = {{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {56, 64}}};
    stranger.data.resize(64);
    refused(stranger.bytes(), "no Linear layer");
    SmallSafetensors negative;
    negative.header["0.weight"]["shape"] = {-2, 3};
    refused(negative.bytes(), "whole number");
    SmallSafetensors metadata;
    metadata.header["__metadata__"] = {{"digitnet_activation", 3}};
    refused(metadata.bytes(), "not text");
    SmallSafetensors activation;
    activation.header["__metadata__"] = {{"digitnet_activation", "swish"}};
    refused(activation.bytes(), "digitnet_activation");
    SmallSafetensors layout;
    layout.header["__metadata__"] = {{"digitnet_layout", "3,5,2"}};
    refused(layout.bytes(), "digitnet_layout says 3,5,2");
    SmallSafetensors image;
    image.header["__metadata__"] = {
        {"digitnet_image_rows", "2"}, {"digitnet_image_cols", "2"}, {"digitnet_image_order", "row-major"}};
    refused(image.bytes(), "takes 3 inputs");
}

TEST(SafetensorsFile, NonFiniteWeightsAreRefused) {
    for (const float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
        SmallSafetensors file;
        std::memcpy(file.data.data() + 4 * 4, &bad, 4);  // 0.weight[1][1]
        expect_refused([&] { parse_safetensors(file.bytes(), "nan.safetensors", {}); }, "nan.safetensors",
                       std::isnan(bad) ? "0.weight has a non-finite value (NaN) at [1, 1]" : "(infinity) at [1, 1]");
    }
}

// --- .npz files ---

// A zip of the named entries, stored or deflated, built with libzip.
std::string zip_of(const std::vector<std::pair<std::string, std::string>>& entries, bool deflate) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* memory = zip_source_buffer_create(nullptr, 0, 0, &error);
    zip_source_keep(memory);
    zip_t* archive = zip_open_from_source(memory, ZIP_TRUNCATE, &error);
    for (const auto& [name, bytes] : entries) {
        const zip_int64_t at =
            zip_file_add(archive, name.c_str(), zip_source_buffer(archive, bytes.data(), bytes.size(), 0), 0);
        zip_set_file_compression(archive, static_cast<zip_uint64_t>(at), deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
    }
    zip_close(archive);
    zip_source_open(memory);
    zip_source_seek(memory, 0, SEEK_END);
    std::string out(static_cast<std::size_t>(zip_source_tell(memory)), '\0');
    zip_source_seek(memory, 0, SEEK_SET);
    zip_source_read(memory, out.data(), out.size());
    zip_source_close(memory);
    zip_source_free(memory);
    zip_error_fini(&error);
    return out;
}

// A .npy array as numpy writes it (version 1.0), with any header dict.
std::string npy_of(const std::string& dict, const std::string& data) {
    std::string header = dict;
    header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
    header += '\n';
    std::string bytes = "\x93NUMPY\x01";
    bytes += '\0';
    bytes += static_cast<char>(header.size() & 0xff);
    bytes += static_cast<char>(header.size() >> 8);
    return bytes + header + data;
}

std::string floats(const std::vector<float>& values) {
    return std::string(reinterpret_cast<const char*>(values.data()), values.size() * 4);
}

std::vector<std::pair<std::string, std::string>> small_npz_entries() {
    return {{"0.weight.npy",
             npy_of("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", floats({1, 2, 3, 4, 5, 6}))},
            {"0.bias.npy", npy_of("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", floats({7, 8}))},
            {"2.weight.npy",
             npy_of("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", floats({9, 10, 11, 12}))},
            {"2.bias.npy", npy_of("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", floats({13, 14}))}};
}

TEST(NpzFile, StoredAndDeflatedEntriesRead) {
    const std::vector<double> expected{7, 1, 2, 3, 8, 4, 5, 6, 13, 9, 10, 14, 11, 12};
    for (const bool deflate : {false, true})
        EXPECT_EQ(parse_npz(zip_of(small_npz_entries(), deflate), "n.npz", {}).parameters.values, expected);
}

TEST(NpzFile, FortranOrderAndBigEndianRead) {
    auto entries = small_npz_entries();
    // The same 0.weight written column-major: 1 4 2 5 3 6.
    entries[0].second =
        npy_of("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", floats({1, 4, 2, 5, 3, 6}));
    // 0.bias as big-endian float64.
    std::string big;
    for (double v : {7.0, 8.0}) {
        unsigned char raw[8];
        std::memcpy(raw, &v, 8);
        for (int i = 7; i >= 0; --i) big += static_cast<char>(raw[i]);
    }
    entries[1].second = npy_of("{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", big);
    EXPECT_EQ(parse_npz(zip_of(entries, false), "n.npz", {}).parameters.values,
              (std::vector<double>{7, 1, 2, 3, 8, 4, 5, 6, 13, 9, 10, 14, 11, 12}));
}

TEST(NpzFile, MetadataAsUint8BytesReads) {
    auto entries = small_npz_entries();
    const std::string text = R"({"digitnet_activation": "tanh", "digitnet_label_base": "0"})";
    entries.emplace_back(
        "digitnet_metadata.npy",
        npy_of("{'descr': '|u1', 'fortran_order': False, 'shape': (" + std::to_string(text.size()) + ",), }", text));
    const ModelFile model = parse_npz(zip_of(entries, true), "n.npz", {});
    EXPECT_EQ(model.parameters.layout.hidden, Activation::Tanh);
    EXPECT_EQ(model.info.label_base, 0);
}

TEST(NpzFile, EveryTruncationIsRefused) {
    const std::string whole = encode_npz(unusual_model(), TensorType::Float64, "x");
    for (std::size_t size = 0; size < whole.size(); size += (size < 64 ? 1 : 53))
        EXPECT_THROW(parse_npz(std::string_view(whole).substr(0, size), "cut.npz", {}), InputError) << size;
}

TEST(NpzFile, DamagedFilesAreRefused) {
    const std::string p = "bad.npz";
    const auto refused = [&](const std::vector<std::pair<std::string, std::string>>& entries,
                             const std::string& problem) {
        expect_refused([&] { parse_npz(zip_of(entries, false), p, {}); }, p, problem);
    };
    expect_refused([&] { parse_npz("not a zip at all, just text", p, {}); }, p, "not an .npz file");
    // A flipped byte inside a stored entry: the zip's CRC finds it.
    std::string flipped = zip_of(small_npz_entries(), false);
    flipped[flipped.find("\x93NUMPY") + 100] ^= 0x40;
    expect_refused([&] { parse_npz(flipped, p, {}); }, p, "damaged");

    auto entries = small_npz_entries();
    entries[0].first = "0.weight";
    refused(entries, "not a .npy array");
    entries = small_npz_entries();
    entries[0].second = "\x93NUMPX" + entries[0].second.substr(6);
    refused(entries, "no \\x93NUMPY");
    entries = small_npz_entries();
    entries[0].second =
        npy_of("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", floats({1, 2, 3, 4, 5, 6}));
    refused(entries, "dtype '<i4'");
    entries = small_npz_entries();
    entries[0].second =
        npy_of("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }", floats({1, 2, 3, 4, 5, 6}));
    refused(entries, "need 32");
    entries = small_npz_entries();
    entries[0].second =
        npy_of("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, }", floats({1, 2, 3, 4, 5, 6}));
    refused(entries, ".npy header");
    entries = small_npz_entries();
    entries[0].second = npy_of("{'descr': '<f4', 'shape': (2, 3), }", floats({1, 2, 3, 4, 5, 6}));
    refused(entries, "not all of");
    entries = small_npz_entries();
    entries[0].second =
        npy_of("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", floats({1, 2, 3, 4, NAN, 6}));
    refused(entries, "0.weight has a non-finite value (NaN) at [1, 1]");
    entries = small_npz_entries();
    entries.pop_back();
    refused(entries, "no 2.bias");
    entries = small_npz_entries();
    entries[3].second = npy_of("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", floats({1, 2, 3}));
    refused(entries, "2.bias has shape [3]");
    entries = small_npz_entries();
    entries.emplace_back("digitnet_metadata.npy",
                         npy_of("{'descr': '|u1', 'fortran_order': False, 'shape': (5,), }", "{nope"));
    refused(entries, "not JSON");
    entries = small_npz_entries();
    entries.emplace_back("extra.npy", entries[1].second);
    refused(entries, "no Linear layer");
}

// The fuzzers' seeds (tests/fuzz/make_corpus.py writes them with numpy and by the spec): the valid
// ones load as what they hold, the broken ones are refused.
TEST(ModelFormats, FuzzSeedsWrittenByNumpyAndBySpecRead) {
    const std::string corpus = std::string(DIGITNET_SOURCE_DIR) + "/tests/fuzz/corpus/";
    for (const char* name : {"fuzz_safetensors/plain_f32.safetensors", "fuzz_npz/plain_stored.npz"}) {
        const ModelFile model = read_model_file(corpus + name);
        EXPECT_EQ(model.parameters.layout.describe(), "4-3-2") << name;
    }
    for (const char* name : {"fuzz_safetensors/digitnet_f64.safetensors", "fuzz_npz/digitnet_deflated.npz"}) {
        const ModelFile model = read_model_file(corpus + name);
        EXPECT_EQ(model.parameters.layout.describe(), "4-3-2 relu softmax") << name;
        EXPECT_EQ(model.info.label_base, 0) << name;
        EXPECT_EQ(model.info.image.column_major, false) << name;
        EXPECT_EQ(model.info.digit_box, 1.5) << name;
    }
    EXPECT_EQ(read_model_file(corpus + "fuzz_npz/fortran_big_endian.npz").parameters.layout.sizes,
              (std::vector<int>{6, 5, 4, 3}));
    EXPECT_EQ(read_model_file(corpus + "fuzz_safetensors/three_layers.safetensors").parameters.layout.sizes,
              (std::vector<int>{6, 5, 4, 3}));
    for (const char* name :
         {"fuzz_safetensors/truncated.safetensors", "fuzz_safetensors/nan.safetensors",
          "fuzz_safetensors/missing_bias.safetensors", "fuzz_npz/truncated.npz", "fuzz_npz/int_dtype.npz"})
        EXPECT_THROW(read_model_file(corpus + name), InputError) << name;
}

TEST(OnnxExport, WritesOrSaysItCannot) {
    testing::TempDir dir;
    const std::string path = dir.file("m.onnx");
    if (!onnx_compiled_in()) {
        EXPECT_THROW(write_model_file(path, unusual_model()), UnavailableError);
        GTEST_SKIP() << "built without ONNX";
    }
    write_model_file(path, unusual_model(), {TensorType::Float32, 13});
    const std::string bytes = testing::read_file(path);
    EXPECT_NE(bytes.find("Softmax"), std::string::npos);
    EXPECT_NE(bytes.find("0.weight"), std::string::npos);
    EXPECT_NE(bytes.find("digitnet_label_base"), std::string::npos);
    expect_refused([&] { write_model_file(path, unusual_model(), {TensorType::Float32, 18}); }, path, "opset 18");
    expect_refused([&] { write_model_file(path, unusual_model(), {TensorType::Float64, 17}); }, path, "float32");
}

// --- the command line ---

TEST(ExportCommand, WritesEachFormatAndRefusesBadRequestsBeforeWriting) {
    testing::TempDir dir;
    const std::string model = dir.file("m.mat");
    write_model_file(model, unusual_model());
    using testing::quote;
    for (const std::string out : {"m.safetensors", "m.npz", "again.mat"}) {
        const auto r = testing::run_digitnet("export --model " + quote(model) + " --out " + quote(dir.file(out)) +
                                             " --dtype float64 --json");
        if (out == "again.mat") {
            EXPECT_EQ(r.exit_code, 2) << r.err;  // --dtype means nothing for .mat
            EXPECT_NE(r.err.find("--dtype"), std::string::npos) << r.err;
            continue;
        }
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_NE(r.out.find("\"dtype\":\"float64\""), std::string::npos) << r.out;
        EXPECT_EQ(read_model_file(dir.file(out)).parameters.values, unusual_model().parameters.values);
    }
    const auto refused = [&](const std::string& arguments, const std::string& problem) {
        const auto r = testing::run_digitnet("export " + arguments);
        EXPECT_EQ(r.exit_code, 2) << arguments << ": " << r.err;
        EXPECT_NE(r.err.find(problem), std::string::npos) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    };
    refused("--model " + quote(model) + " --out " + quote(dir.file("x.onnx")) + " --opset 12", "--opset");
    refused("--model " + quote(model) + " --out " + quote(dir.file("x.onnx")) + " --dtype float64", "float32");
    refused("--model " + quote(model) + " --out " + quote(model), "--out");
    refused("--model " + quote(model) + " --out " + quote(dir.file("no/such/folder/x.npz")), "--out");
    refused("--model " + quote(model) + " --out " + quote(dir.file("x.npz")) + " --activation tanh", "--activation");
    testing::write_file(dir.file("cut.safetensors"),
                        encode_safetensors(unusual_model(), TensorType::Float32).substr(0, 300));
    refused("--model " + quote(dir.file("cut.safetensors")) + " --out " + quote(dir.file("x.npz")),
            dir.file("cut.safetensors"));
    EXPECT_FALSE(std::filesystem::exists(dir.file("x.npz")));
    EXPECT_FALSE(std::filesystem::exists(dir.file("x.onnx")));
}

TEST(ExportCommand, TrainSavesByExtensionAndRefusesOnnxCheckpoints) {
    testing::TempDir dir;
    using testing::quote;
    const auto r =
        testing::run_digitnet("train --device cpu --iters 3 --quiet --save " + quote(dir.file("t.safetensors")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const ModelFile saved = read_model_file(dir.file("t.safetensors"));
    EXPECT_EQ(saved.parameters.layout.describe(), "400-25-10");
    EXPECT_EQ(saved.info.image.rows, 20);
    const auto resumed =
        testing::run_digitnet("train --device cpu --iters 2 --quiet --init " + quote(dir.file("t.safetensors")) +
                              " --save " + quote(dir.file("t2.npz")));
    EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
    const auto onnx =
        testing::run_digitnet("train --device cpu --iters 2 --checkpoint-every 1 --save " + quote(dir.file("t.onnx")));
    EXPECT_EQ(onnx.exit_code, 2) << onnx.err;  // with ONNX: checkpoints; without: no ONNX
    EXPECT_FALSE(std::filesystem::exists(dir.file("t.onnx")));
}

}  // namespace
}  // namespace digitnet
