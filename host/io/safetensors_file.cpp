#include "digitnet/io/safetensors_file.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>

#include "digitnet/errors.hpp"
#include "digitnet/io/model_metadata.hpp"
#include "digitnet/io/torch_tensors.hpp"
#include "file_bytes.hpp"
#include "tensor_bytes.hpp"

namespace digitnet {

namespace {

using json = nlohmann::json;

// The safetensors library refuses headers over 100 MB; a model's header is a few hundred bytes.
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

std::string quoted(const std::string& name) { return "\"" + (name.size() <= 60 ? name : name.substr(0, 60)) + "\""; }

std::uint64_t unsigned_value(const json& value, const std::string& what, const std::string& path) {
    if (!value.is_number_unsigned() && !(value.is_number_integer() && value.get<std::int64_t>() >= 0))
        throw InputError(path + ": " + what + " must be a whole number >= 0 in the header");
    return value.get<std::uint64_t>();
}

// One tensor's entry in the header, checked: where its bytes are and how they read.
struct Entry {
    std::string name;
    TensorType type = TensorType::Float32;
    std::vector<std::int64_t> shape;
    std::uint64_t begin = 0, end = 0;
};

Entry parse_entry(const std::string& name, const json& value, std::uint64_t data_bytes, const std::string& path) {
    const std::string where = "tensor " + quoted(name);
    if (!value.is_object()) throw InputError(path + ": " + where + " in the header is not an object");
    for (const char* key : {"dtype", "shape", "data_offsets"})
        if (!value.contains(key)) throw InputError(path + ": " + where + " has no \"" + key + "\" in the header");
    Entry entry;
    entry.name = name;
    const json& dtype = value["dtype"];
    if (!dtype.is_string()) throw InputError(path + ": " + where + " has a dtype that is not text");
    const std::string type = dtype.get<std::string>();
    if (type == "F32")
        entry.type = TensorType::Float32;
    else if (type == "F64")
        entry.type = TensorType::Float64;
    else
        throw InputError(path + ": " + where + " has dtype " + quoted(type) +
                         ", which digitnet does not read (F32 or F64 weights)");
    const json& shape = value["shape"];
    if (!shape.is_array() || shape.size() > 8)
        throw InputError(path + ": " + where + " has a shape that is not a list of at most 8 sizes");
    std::uint64_t count = 1;
    for (const json& size : shape) {
        const std::uint64_t n = unsigned_value(size, where + "'s shape", path);
        // Bounded by the data's size, so that the product cannot overflow.
        if (n > data_bytes || (n != 0 && count > data_bytes / n))
            throw InputError(path + ": " + where + "'s shape holds more values than the file has bytes");
        count *= n;
        entry.shape.push_back(static_cast<std::int64_t>(n));
    }
    const json& offsets = value["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2)
        throw InputError(path + ": " + where + " has data_offsets that are not [begin, end]");
    entry.begin = unsigned_value(offsets[0], where + "'s data_offsets", path);
    entry.end = unsigned_value(offsets[1], where + "'s data_offsets", path);
    if (entry.begin > entry.end || entry.end > data_bytes)
        throw InputError(path + ": " + where + "'s data_offsets [" + std::to_string(entry.begin) + ", " +
                         std::to_string(entry.end) + ") lie outside the " + std::to_string(data_bytes) +
                         " bytes of data after the header (a truncated file?)");
    if (entry.end - entry.begin != count * element_bytes(entry.type))
        throw InputError(path + ": " + where + " has " + std::to_string(entry.end - entry.begin) +
                         " bytes but its shape and dtype need " + std::to_string(count * element_bytes(entry.type)));
    return entry;
}

}  // namespace

ModelFile parse_safetensors(std::string_view bytes, const std::string& path, const ModelAssumptions& assumptions) {
    if (bytes.size() < 8)
        throw InputError(path + ": is " + std::to_string(bytes.size()) +
                         " bytes, too short for a .safetensors file (an 8-byte header length, then the header)");
    std::uint64_t header_bytes = 0;
    for (int i = 7; i >= 0; --i) header_bytes = header_bytes << 8 | static_cast<unsigned char>(bytes[i]);
    if (header_bytes > bytes.size() - 8)
        throw InputError(path + ": its header length " + std::to_string(header_bytes) + " runs past the end of the " +
                         std::to_string(bytes.size()) + "-byte file (truncated, or not a .safetensors file)");
    if (header_bytes > kMaxHeaderBytes)
        throw InputError(path + ": its header length " + std::to_string(header_bytes) + " is over the format's 100 MB");
    const std::string_view header_text = bytes.substr(8, header_bytes);
    const std::string_view data = bytes.substr(8 + header_bytes);

    const json header = json::parse(header_text.begin(), header_text.end(), nullptr, /*allow_exceptions=*/false);
    if (header.is_discarded()) throw InputError(path + ": its header is not JSON (a damaged or truncated file?)");
    if (!header.is_object()) throw InputError(path + ": its header is not a JSON object of tensors");

    ModelMetadata metadata;
    std::vector<Entry> entries;
    for (const auto& [name, value] : header.items()) {
        if (name == "__metadata__") {
            if (!value.is_object()) throw InputError(path + ": its __metadata__ is not an object of text values");
            for (const auto& [key, text] : value.items()) {
                if (!text.is_string())
                    throw InputError(path + ": its __metadata__ " + quoted(key) +
                                     " is not text (the format's "
                                     "metadata maps text to text)");
                metadata[key] = text.get<std::string>();
            }
            continue;
        }
        entries.push_back(parse_entry(name, value, data.size(), path));
    }
    // The spec: the tensors cover the data exactly, without holes or overlaps.
    std::vector<const Entry*> by_offset;
    for (const Entry& entry : entries) by_offset.push_back(&entry);
    std::sort(by_offset.begin(), by_offset.end(), [](const Entry* a, const Entry* b) {
        return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    std::uint64_t covered = 0;
    for (const Entry* entry : by_offset) {
        if (entry->begin != covered)
            throw InputError(path + ": tensor " + quoted(entry->name) + " starts at byte " +
                             std::to_string(entry->begin) + " of the data, expected " + std::to_string(covered) +
                             (entry->begin < covered ? " (tensors overlap)" : " (a gap between tensors)"));
        covered = entry->end;
    }
    if (covered != data.size())
        throw InputError(path + ": has " + std::to_string(data.size() - covered) +
                         " bytes after its last tensor (the format allows none)");

    std::map<std::string, Tensor> tensors;
    for (const Entry& entry : entries)
        tensors[entry.name] = {entry.shape,
                               decode_values(data.substr(entry.begin, entry.end - entry.begin), entry.type, false)};
    ModelFile model;
    model.parameters = parameters_from_state_dict(tensors, path);
    apply_model_metadata(metadata, path, assumptions, model);
    return model;
}

ModelFile read_safetensors(const std::string& path, const ModelAssumptions& assumptions) {
    return parse_safetensors(read_file_bytes(path), path, assumptions);
}

std::string encode_safetensors(const ModelFile& model, TensorType type) {
    json header = json::object();
    std::string data;
    for (const auto& [name, tensor] : torch_state_dict(model.parameters)) {
        const std::size_t begin = data.size();
        append_values(data, tensor.values, type);
        header[name] = {{"dtype", type == TensorType::Float32 ? "F32" : "F64"},
                        {"shape", tensor.shape},
                        {"data_offsets", {begin, data.size()}}};
    }
    json metadata = json::object();
    for (const auto& [key, value] : model_metadata(model)) metadata[key] = value;
    header["__metadata__"] = metadata;
    std::string text = header.dump();
    // Padded with spaces so that the data starts 8-byte aligned, as the safetensors library does.
    text.append((8 - text.size() % 8) % 8, ' ');
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i) bytes[static_cast<std::size_t>(i)] = static_cast<char>((text.size() >> (8 * i)) & 0xff);
    return bytes + text + data;
}

}  // namespace digitnet
