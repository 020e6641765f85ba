#include "digitnet/io/npz_file.hpp"

#include <zip.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "digitnet/errors.hpp"
#include "digitnet/io/model_metadata.hpp"
#include "digitnet/io/system_memory.hpp"
#include "digitnet/io/torch_tensors.hpp"
#include "file_bytes.hpp"
#include "npy_array.hpp"

namespace digitnet {

namespace {

using json = nlohmann::json;

constexpr const char* kMetadataEntry = "digitnet_metadata";

// Deflate packs at most about 1032 bytes into one: an entry claiming more than that is damaged
// (or a zip bomb), refused before anything is allocated for it.
constexpr std::uint64_t kMaxDeflateRatio = 1100;

struct ArchiveCloser {
    void operator()(zip_t* archive) const { zip_discard(archive); }
};
struct FileCloser {
    void operator()(zip_file_t* file) const { zip_fclose(file); }
};
struct SourceFreer {
    void operator()(zip_source_t* source) const { zip_source_free(source); }
};
using Archive = std::unique_ptr<zip_t, ArchiveCloser>;
using ArchiveFile = std::unique_ptr<zip_file_t, FileCloser>;
using Source = std::unique_ptr<zip_source_t, SourceFreer>;

struct ZipError {
    zip_error_t error;
    ZipError() { zip_error_init(&error); }
    ~ZipError() { zip_error_fini(&error); }
    ZipError(const ZipError&) = delete;
    ZipError& operator=(const ZipError&) = delete;
    std::string text() { return zip_error_strerror(&error); }
};

Archive open_archive(std::string_view bytes, const std::string& path) {
    ZipError error;
    Source source(zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error.error));
    if (!source) throw InputError(path + ": cannot be read as a zip file (" + error.text() + ")");
    Archive archive(zip_open_from_source(source.get(), ZIP_RDONLY | ZIP_CHECKCONS, &error.error));
    if (!archive)
        throw InputError(
            path + ": is not an .npz file (numpy's zip of .npy arrays): " + error.text() +
            (bytes.size() >= 4 && bytes.substr(0, 4) == "PK\x03\x04" ? " (a damaged or truncated zip?)" : ""));
    source.release();  // the archive owns it now
    return archive;
}

// `unpacked`: the bytes of the entries read so far, which with this one must fit in half of the
// free memory (a small file of many highly compressed entries could claim far more).
std::string read_entry(zip_t* archive, zip_uint64_t index, const zip_stat_t& stat, const std::string& where,
                       std::uint64_t& unpacked) {
    if (!(stat.valid & ZIP_STAT_SIZE) || !(stat.valid & ZIP_STAT_COMP_SIZE))
        throw InputError(where + ": its size is not recorded in the zip");
    if (stat.size > kMaxDeflateRatio * stat.comp_size + 1024)
        throw InputError(where + ": claims " + std::to_string(stat.size) + " bytes from " +
                         std::to_string(stat.comp_size) + " compressed ones (a damaged file?)");
    unpacked += stat.size;
    const auto available = available_memory_bytes();
    if (available && unpacked > *available / 2)
        throw InputError(where + ": the entries so far unpack to " + bytes_text(double(unpacked)) +
                         ", more than this machine's " + bytes_text(double(*available)) + " of free memory can load");
    ArchiveFile file(zip_fopen_index(archive, index, 0));
    if (!file)
        throw InputError(where + ": cannot be read (" + std::string(zip_strerror(archive)) +
                         "; encrypted, or an unknown compression?)");
    std::string bytes(static_cast<std::size_t>(stat.size), '\0');
    std::size_t done = 0;
    for (;;) {
        char spare[1];
        char* into = done < bytes.size() ? bytes.data() + done : spare;
        const zip_uint64_t want = done < bytes.size() ? bytes.size() - done : 1;
        const zip_int64_t got = zip_fread(file.get(), into, want);
        if (got < 0) throw InputError(where + ": is damaged (" + std::string(zip_file_strerror(file.get())) + ")");
        if (got == 0) break;
        if (done >= bytes.size()) throw InputError(where + ": holds more bytes than the zip records");
        done += static_cast<std::size_t>(got);
    }
    if (done != bytes.size())
        throw InputError(where + ": holds " + std::to_string(done) + " bytes, the zip records " +
                         std::to_string(bytes.size()) + " (truncated?)");
    return bytes;
}

ModelMetadata metadata_from_json(const std::string& text, const std::string& where) {
    const json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) throw InputError(where + ": is not JSON text");
    if (!parsed.is_object()) throw InputError(where + ": is not a JSON object of text values");
    ModelMetadata metadata;
    for (const auto& [key, value] : parsed.items()) {
        if (!value.is_string()) throw InputError(where + ": its \"" + key.substr(0, 60) + "\" is not text");
        metadata[key] = value.get<std::string>();
    }
    return metadata;
}

}  // namespace

ModelFile parse_npz(std::string_view bytes, const std::string& path, const ModelAssumptions& assumptions) {
    const Archive archive = open_archive(bytes, path);
    const zip_int64_t entries = zip_get_num_entries(archive.get(), 0);
    std::map<std::string, Tensor> tensors;
    ModelMetadata metadata;
    std::uint64_t unpacked = 0;
    for (zip_int64_t i = 0; i < entries; ++i) {
        const auto index = static_cast<zip_uint64_t>(i);
        zip_stat_t stat;
        zip_stat_init(&stat);
        if (zip_stat_index(archive.get(), index, 0, &stat) != 0 || !(stat.valid & ZIP_STAT_NAME) || !stat.name)
            throw InputError(path + ": entry " + std::to_string(i) + " of the zip cannot be read");
        std::string name = stat.name;
        const std::string where = path + ", entry " + name.substr(0, 60);
        if (name.size() < 4 || name.substr(name.size() - 4) != ".npy")
            throw InputError(where + ": is not a .npy array (an .npz holds <name>.npy entries)");
        name.resize(name.size() - 4);
        const NpyArray array = parse_npy(read_entry(archive.get(), index, stat, where, unpacked), where);
        if (name == kMetadataEntry) {
            if (!array.is_text) throw InputError(where + ": must be JSON text (a unicode string or uint8 bytes)");
            metadata = metadata_from_json(array.text, where);
            continue;
        }
        if (array.is_text) throw InputError(where + ": holds text, not float32 or float64 weights");
        if (tensors.count(name)) throw InputError(where + ": appears twice in the zip");
        tensors[name] = {array.shape, array.values};
    }
    ModelFile model;
    model.parameters = parameters_from_state_dict(tensors, path);
    apply_model_metadata(metadata, path, assumptions, model);
    return model;
}

ModelFile read_npz(const std::string& path, const ModelAssumptions& assumptions) {
    return parse_npz(read_file_bytes(path), path, assumptions);
}

std::string encode_npz(const ModelFile& model, TensorType type, const std::string& path) {
    // The entries' bytes must outlive zip_close, which is when libzip reads them.
    std::vector<std::pair<std::string, std::string>> entries;
    for (const auto& [name, tensor] : torch_state_dict(model.parameters))
        entries.emplace_back(name + ".npy", encode_npy(tensor, type));
    json metadata = json::object();
    for (const auto& [key, value] : model_metadata(model)) metadata[key] = value;
    entries.emplace_back(std::string(kMetadataEntry) + ".npy", encode_npy_text(metadata.dump(-1, ' ', true)));

    const auto fail = [&](const std::string& what) {
        return OutputError(path + ": libzip cannot " + what + " (out of memory?); nothing was written");
    };
    ZipError error;
    Source memory(zip_source_buffer_create(nullptr, 0, 0, &error.error));
    if (!memory) throw fail("make an archive in memory: " + error.text());
    zip_source_keep(memory.get());  // the archive frees its reference when closed; the bytes stay here
    Archive archive(zip_open_from_source(memory.get(), ZIP_TRUNCATE, &error.error));
    if (!archive) {
        zip_source_free(memory.get());  // the reference the archive did not take
        throw fail("make an archive in memory: " + error.text());
    }
    for (const auto& [name, bytes] : entries) {
        zip_source_t* entry = zip_source_buffer(archive.get(), bytes.data(), bytes.size(), 0);
        if (!entry) throw fail("add " + name);
        const zip_int64_t index = zip_file_add(archive.get(), name.c_str(), entry, ZIP_FL_ENC_UTF_8);
        if (index < 0) {
            zip_source_free(entry);
            throw fail("add " + name);
        }
        const auto at = static_cast<zip_uint64_t>(index);
        // A fixed time (1980-01-02), so that the same model always gives the same bytes.
        if (zip_set_file_compression(archive.get(), at, ZIP_CM_DEFLATE, 0) != 0 ||
            zip_file_set_mtime(archive.get(), at, 315619200, 0) != 0)
            throw fail("compress " + name);
    }
    if (zip_close(archive.get()) != 0) throw fail(std::string("write the archive: ") + zip_strerror(archive.get()));
    (void)archive.release();  // closed: zip_close freed it

    zip_source_t* source = memory.get();
    std::string bytes;
    if (zip_source_open(source) != 0) throw fail("read back the archive");
    if (zip_source_seek(source, 0, SEEK_END) == 0) {
        const zip_int64_t size = zip_source_tell(source);
        if (size >= 0 && zip_source_seek(source, 0, SEEK_SET) == 0) {
            bytes.resize(static_cast<std::size_t>(size));
            if (zip_source_read(source, bytes.data(), bytes.size()) != size) bytes.clear();
        }
    }
    zip_source_close(source);
    if (bytes.empty()) throw fail("read back the archive");
    return bytes;
}

}  // namespace digitnet
