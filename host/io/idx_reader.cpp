// IDX reading. The header is checked field by field before any pixel is read, sizes are multiplied
// in 64 bits under limits that cannot overflow, and the pixels are read in chunks, so a header
// that promises more than the file holds is reported as truncated, never allocated.
#include "idx_reader.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <vector>

#include "digitnet/errors.hpp"
#include "digitnet/io/system_memory.hpp"
#include "gz_reader.hpp"

namespace digitnet {

namespace fs = std::filesystem;

namespace {

constexpr unsigned char unsigned_byte_type = 0x08;
constexpr std::uint64_t max_examples = std::numeric_limits<int>::max();
constexpr std::uint64_t max_side = 65535;                          // rows or columns of one image
constexpr std::uint64_t max_features = std::uint64_t{1} << 24;     // rows * cols
constexpr std::uint64_t max_pixel_bytes = std::uint64_t{1} << 34;  // 16 GiB of pixels

const char* type_name(unsigned char type) {
    switch (type) {
        case 0x08:
            return "unsigned byte";
        case 0x09:
            return "signed byte";
        case 0x0b:
            return "short";
        case 0x0c:
            return "int";
        case 0x0d:
            return "float";
        case 0x0e:
            return "double";
        default:
            return "unknown";
    }
}

std::string hex_bytes(const unsigned char* bytes, std::size_t count) {
    static const char digits[] = "0123456789abcdef";
    std::string text;
    for (std::size_t i = 0; i < count; ++i) {
        if (i) text += ' ';
        text += digits[bytes[i] >> 4];
        text += digits[bytes[i] & 15];
    }
    return text;
}

// An open IDX file whose header has been read: its dimensions, and the reader positioned at the data.
struct IdxHeader {
    unsigned char type = 0;
    std::vector<std::uint64_t> dims;
};

// The 4-byte magic of an IDX file: 00 00, the data type, the dimension count.
std::array<unsigned char, 4> read_magic(GzReader& reader) {
    const std::string& path = reader.path();
    std::array<unsigned char, 4> magic{0, 0, 0, 0};
    const std::size_t got = reader.read(magic.data(), 4);
    if (got < 4) throw InputError(path + ": too short for an IDX file (" + std::to_string(got) + " bytes)");
    if (magic[0] != 0 || magic[1] != 0)
        throw InputError(path + ": not an IDX file (its first bytes are " + hex_bytes(magic.data(), 4) +
                         ", expected 00 00 08 03 or 00 00 08 01)");
    return magic;
}

IdxHeader read_header(GzReader& reader) {
    const std::string& path = reader.path();
    const std::array<unsigned char, 4> magic = read_magic(reader);
    IdxHeader header;
    header.type = magic[2];
    if (header.type != unsigned_byte_type)
        throw InputError(path + ": IDX data of type 0x" + hex_bytes(&magic[2], 1) + " (" + type_name(header.type) +
                         ") is not supported, only unsigned bytes (0x08)");
    const int dimensions = magic[3];
    if (dimensions < 1 || dimensions > 4)
        throw InputError(path + ": IDX header gives " + std::to_string(dimensions) +
                         " dimensions, expected 3 (images) or 1 (labels)");
    for (int d = 0; d < dimensions; ++d) {
        unsigned char size[4];
        if (reader.read(size, 4) < 4) throw InputError(path + ": truncated: the IDX header ends inside its dimensions");
        header.dims.push_back(std::uint64_t{size[0]} << 24 | std::uint64_t{size[1]} << 16 |
                              std::uint64_t{size[2]} << 8 | size[3]);
    }
    return header;
}

// Reads exactly `count` data bytes, then (when `last`: they end the data) checks nothing follows.
std::vector<std::uint8_t> read_data(GzReader& reader, std::uint64_t count, const std::string& what, bool last) {
    std::vector<std::uint8_t> bytes;
    bytes.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(count, std::uint64_t{1} << 24)));
    const std::size_t got = reader.append(bytes, count);
    if (got < count)
        throw InputError(reader.path() + ": truncated: the header says " + what + " (" + std::to_string(count) +
                         " bytes) but " +
                         (last ? "only " + std::to_string(got) + " follow" : "the file ends before them"));
    unsigned char extra = 0;
    if (last && reader.read(&extra, 1) != 0)
        throw InputError(reader.path() + ": more bytes than its header says (" + what +
                         "); not an IDX file, or a damaged one");
    return bytes;
}

// The dimension count of an IDX file (after checking its magic), to tell images from labels.
int idx_dimensions(const std::string& path) {
    GzReader reader(path);
    return read_magic(reader)[3];
}

bool replace_last(std::string& text, const std::string& from, const std::string& to) {
    const auto at = text.rfind(from);
    if (at == std::string::npos) return false;
    text.replace(at, from.size(), to);
    return true;
}

bool ends_with(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_file(const fs::path& path) {
    std::error_code ec;
    return fs::is_regular_file(path, ec);
}

}  // namespace

bool looks_like_idx(std::string_view head) {
    if (head.size() < 4 || head[0] != 0 || head[1] != 0) return false;
    const auto type = static_cast<unsigned char>(head[2]);
    const auto dimensions = static_cast<unsigned char>(head[3]);
    const bool known_type = type == 0x08 || type == 0x09 || (type >= 0x0b && type <= 0x0e);
    return known_type && dimensions >= 1 && dimensions <= 4;
}

std::optional<std::string> idx_partner(const std::string& path, bool given_images) {
    const fs::path given(path);
    std::string name = given.filename().string();
    const std::string kind = given_images ? "images" : "labels", other_kind = given_images ? "labels" : "images";
    bool renamed = replace_last(name, kind, other_kind);
    renamed = replace_last(name, given_images ? "idx3" : "idx1", given_images ? "idx1" : "idx3") || renamed;
    if (!renamed)
        throw InputError(path + ": an IDX " + kind + " file whose name has no \"" + kind + "\" in it, so its " +
                         other_kind +
                         " file cannot be found (name them like train-images-idx3-ubyte and train-labels-idx1-ubyte)");
    const bool gz = ends_with(name, ".gz");
    const std::string stem = gz ? name.substr(0, name.size() - 3) : name;
    // Same compression as the given file first, then the other.
    for (const std::string& candidate :
         gz ? std::vector<std::string>{stem + ".gz", stem} : std::vector<std::string>{stem, stem + ".gz"}) {
        const fs::path partner = given.parent_path() / candidate;
        if (is_file(partner)) return partner.string();
    }
    return std::nullopt;
}

namespace {

// The pair's rows chosen by `choose` (all of them when null): the headers are checked in full, the
// rows before the chosen ones skipped, and "nothing follows the data" checked only by the reader
// of the last rows.
DataShard read_idx_pair(const std::string& images_path, const std::string& labels_path, const RowChooser* choose) {
    // Images: count x rows x cols unsigned bytes.
    GzReader images(images_path);
    const IdxHeader image_header = read_header(images);
    if (image_header.dims.size() != 3)
        throw InputError(images_path + ": an IDX file of " + std::to_string(image_header.dims.size()) +
                         " dimensions where images (3: count, rows, columns) were expected");
    const std::uint64_t count = image_header.dims[0], rows = image_header.dims[1], cols = image_header.dims[2];
    if (count == 0) throw InputError(images_path + ": the IDX header says it holds no images");
    if (count > max_examples)
        throw InputError(images_path + ": the IDX header says " + std::to_string(count) + " images, more than " +
                         std::to_string(max_examples) + " (a damaged header?)");
    if (rows == 0 || cols == 0 || rows > max_side || cols > max_side || rows * cols > max_features)
        throw InputError(images_path + ": the IDX header gives images of " + std::to_string(rows) + " x " +
                         std::to_string(cols) + " pixels, outside 1..65535 a side and 16M pixels (a damaged header?)");
    const std::uint64_t features = rows * cols;          // <= 2^24
    const std::uint64_t pixel_bytes = count * features;  // < 2^31 * 2^24, no overflow
    if (pixel_bytes > max_pixel_bytes)
        throw InputError(images_path + ": the IDX header says " + std::to_string(count) + " images of " +
                         std::to_string(rows) + " x " + std::to_string(cols) +
                         ", more than 16 GiB of pixels (a damaged header?)");
    // A plain file's size is known before reading: say it is truncated without reading it all.
    if (!images.compressed()) {
        std::error_code ec;
        const std::uint64_t size = fs::file_size(images_path, ec);
        const std::uint64_t expected = 16 + pixel_bytes;
        if (!ec && size < expected)
            throw InputError(images_path + ": truncated: the header says " + std::to_string(count) + " images of " +
                             std::to_string(rows) + " x " + std::to_string(cols) + " (" + std::to_string(expected) +
                             " bytes in all) but the file has " + std::to_string(size) + " bytes");
    }
    const int total = static_cast<int>(count);
    const RowRange range = choose ? (*choose)(total) : RowRange{0, total};
    const bool to_the_end = range.end() == total;
    const std::string what =
        std::to_string(count) + " images of " + std::to_string(rows) + " x " + std::to_string(cols);
    // A small .gz can expand to gigabytes: the bytes this process reads (up to three times, while
    // the buffer grows) and their doubles must fit before we read.
    check_memory_available(double(range.count) * double(features) * (3.0 + sizeof(double)), images_path + ": " + what,
                           "use fewer examples (a subset of the file)");
    images.skip(static_cast<std::uint64_t>(range.first) * features);
    const std::vector<std::uint8_t> pixels =
        read_data(images, static_cast<std::uint64_t>(range.count) * features, what, to_the_end);

    // Labels: count unsigned bytes.
    GzReader labels_file(labels_path);
    const IdxHeader label_header = read_header(labels_file);
    if (label_header.dims.size() != 1)
        throw InputError(labels_path + ": an IDX file of " + std::to_string(label_header.dims.size()) +
                         " dimensions where labels (1: count) were expected");
    if (label_header.dims[0] != count)
        throw InputError(images_path + " has " + std::to_string(count) + " images but " + labels_path + " has " +
                         std::to_string(label_header.dims[0]) + " labels");
    labels_file.skip(static_cast<std::uint64_t>(range.first));
    const std::vector<std::uint8_t> label_bytes =
        read_data(labels_file, static_cast<std::uint64_t>(range.count), std::to_string(count) + " labels", to_the_end);

    DataShard shard;
    shard.rows = range;
    shard.total = total;
    Dataset& data = shard.data;
    data.source = images_path;
    data.label_base = 0;
    data.X = Matrix<double>(range.count, static_cast<int>(features));
    for (std::size_t i = 0; i < pixels.size(); ++i) data.X.data[i] = pixels[i] / 255.0;
    data.labels.assign(label_bytes.begin(), label_bytes.end());
    const int largest = label_bytes.empty() ? 0 : *std::max_element(label_bytes.begin(), label_bytes.end());
    data.classes = std::max(largest + 1, 2);
    data.image = {static_cast<int>(rows), static_cast<int>(cols), /*column_major=*/false};
    if (range.count > 0) validate_dataset(data, images_path);
    return shard;
}

}  // namespace

Dataset load_idx_pair(const std::string& images_path, const std::string& labels_path) {
    return read_idx_pair(images_path, labels_path, nullptr).data;
}

DataShard load_idx_pair_rows(const std::string& images_path, const std::string& labels_path, const RowChooser& choose) {
    return read_idx_pair(images_path, labels_path, &choose);
}

namespace {

// The (images, labels) pair of an IDX file given by either name.
std::pair<std::string, std::string> idx_pair_of(const std::string& path) {
    const int dimensions = idx_dimensions(path);
    if (dimensions != 3 && dimensions != 1)
        throw InputError(path + ": an IDX file of " + std::to_string(dimensions) +
                         " dimensions; expected images (3: count, rows, columns) or labels (1)");
    const bool images = dimensions == 3;
    const std::optional<std::string> partner = idx_partner(path, images);
    if (!partner) {
        std::string name = fs::path(path).filename().string();
        replace_last(name, images ? "images" : "labels", images ? "labels" : "images");
        replace_last(name, images ? "idx3" : "idx1", images ? "idx1" : "idx3");
        if (ends_with(name, ".gz")) name.resize(name.size() - 3);
        throw InputError(path + ": IDX " + (images ? "images" : "labels") + " without its " +
                         (images ? "labels" : "images") + " file (looked for " +
                         (fs::path(path).parent_path() / name).string() + "[.gz])");
    }
    return images ? std::pair{path, *partner} : std::pair{*partner, path};
}

}  // namespace

Dataset load_idx(const std::string& path) {
    const auto [images, labels] = idx_pair_of(path);
    return load_idx_pair(images, labels);
}

DataShard load_idx_rows(const std::string& path, const RowChooser& choose) {
    const auto [images, labels] = idx_pair_of(path);
    return load_idx_pair_rows(images, labels, choose);
}

std::optional<std::string> find_idx_images(const std::string& folder, const std::string& prefix) {
    for (const char* middle : {"-images-idx3-ubyte", "-images.idx3-ubyte"})
        for (const char* suffix : {"", ".gz"}) {
            const fs::path candidate = fs::path(folder) / (prefix + middle + suffix);
            if (is_file(candidate)) return candidate.string();
        }
    return std::nullopt;
}

}  // namespace digitnet
