#include "gz_reader.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>

#include "digitnet/errors.hpp"
#include "digitnet/io/system_memory.hpp"

namespace digitnet {

namespace {

// gzread takes an unsigned int count; stay well under it.
constexpr std::size_t chunk_bytes = std::size_t{1} << 24;

}  // namespace

GzReader::GzReader(const std::string& path) : path_(path) {
    if (::access(path.c_str(), R_OK) != 0) {
        const int error = errno;
        throw InputError(path + ": cannot be read (" + std::strerror(error) + ")");
    }
    compressed_ = is_gzip_file(path);
    file_ = gzopen(path.c_str(), "rb");
    if (!file_) throw InputError(path + ": cannot be opened");
    gzbuffer(file_, 1u << 17);
}

GzReader::~GzReader() {
    if (file_) gzclose(file_);
}

std::size_t GzReader::read(void* out, std::size_t count) {
    auto* bytes = static_cast<unsigned char*>(out);
    std::size_t done = 0;
    while (done < count) {
        const auto want = static_cast<unsigned>(std::min(count - done, chunk_bytes));
        const int got = gzread(file_, bytes + done, want);
        if (got < 0) {
            int code = 0;
            const char* message = gzerror(file_, &code);
            if (code == Z_ERRNO) throw InputError(path_ + ": read error (" + std::strerror(errno) + ")");
            throw InputError(path_ + ": corrupt or truncated gzip data (" + (message ? message : "zlib error") + ")");
        }
        if (got == 0) break;
        done += static_cast<std::size_t>(got);
    }
    // Short of `count`: the end of the data, or a stream cut off. zlib returns what it could
    // decompress either way and tells them apart only through gzerror.
    if (done < count && compressed_) {
        int code = Z_OK;
        gzerror(file_, &code);
        if (code == Z_BUF_ERROR)
            throw InputError(path_ +
                             ": truncated gzip data (unexpected end of file); the file is incomplete, HINT: gzip -t " +
                             path_);
    }
    return done;
}

void GzReader::skip(std::uint64_t count) {
    if (count == 0) return;
    if (gzseek(file_, static_cast<z_off_t>(count), SEEK_CUR) < 0) {
        int code = 0;
        const char* message = gzerror(file_, &code);
        throw InputError(path_ + ": cannot move ahead " + std::to_string(count) + " bytes (" +
                         (message ? message : "zlib error") + ")");
    }
}

std::size_t GzReader::append(std::vector<std::uint8_t>& out, std::uint64_t count) {
    std::uint64_t done = 0;
    // Chunks grow from 64 KiB to 16 MiB, so that a header promising gigabytes costs a small
    // buffer, not 16 MiB zero-filled, when the file holds a few bytes (found by fuzz_idx).
    std::size_t step = std::size_t{1} << 16;
    while (done < count) {
        const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(count - done, step));
        step = std::min(step * 2, chunk_bytes);
        const std::size_t old_size = out.size();
        out.resize(old_size + want);
        const std::size_t got = read(out.data() + old_size, want);
        out.resize(old_size + got);
        done += got;
        if (got < want) break;
    }
    return static_cast<std::size_t>(done);
}

std::string read_head(const std::string& path, std::size_t count) {
    GzReader reader(path);
    std::string head(count, '\0');
    head.resize(reader.read(head.data(), count));
    return head;
}

std::string read_all(const std::string& path) {
    GzReader reader(path);
    std::string content;
    // Text takes at least two bytes a value and a value eight as a double: a file that expands to
    // more than half of the free memory cannot be loaded (a small .gz can expand to gigabytes).
    const auto available = available_memory_bytes();
    const std::uint64_t most = available ? *available / 2 : std::numeric_limits<std::uint64_t>::max();
    // Grow with the data, from 64 KiB: most files are small, and reading each one into a 16 MiB
    // zero-filled buffer made small CSV files slow to read (found by fuzz_csv).
    std::size_t step = std::size_t{1} << 16;
    for (;;) {
        const std::size_t old_size = content.size();
        content.resize(old_size + step);
        const std::size_t got = reader.read(content.data() + old_size, step);
        content.resize(old_size + got);
        if (got < step) break;
        if (content.size() > most)
            throw InputError(path + ": expands to more than " + bytes_text(double(content.size())) +
                             " of text, more than this machine's " + bytes_text(double(*available)) +
                             " of free memory can load; HINT: use a subset of the file");
        step = std::min(step * 2, chunk_bytes);
    }
    return content;
}

bool is_gzip_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    unsigned char magic[2] = {0, 0};
    in.read(reinterpret_cast<char*>(magic), 2);
    return in.gcount() == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

}  // namespace digitnet
