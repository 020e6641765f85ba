#pragma once
// Reading a file that may or may not be gzip-compressed, through zlib's gzopen/gzread (which
// pass an uncompressed file through as it is). Used by the IDX and CSV readers; every failure is
// an InputError whose one line names the file.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace digitnet {

class GzReader {
public:
    explicit GzReader(const std::string& path);  // throws InputError when it cannot be opened
    ~GzReader();
    GzReader(const GzReader&) = delete;
    GzReader& operator=(const GzReader&) = delete;

    // Up to `count` bytes into `out`; returns how many were read (less only at the end of the data).
    // Throws InputError on a read error or corrupt/truncated gzip data.
    std::size_t read(void* out, std::size_t count);

    // Appends up to `count` bytes to `out` in chunks, so that a header promising more bytes than the
    // file holds never makes us allocate more than the file really has. Returns how many were read.
    std::size_t append(std::vector<std::uint8_t>& out, std::uint64_t count);

    // Moves `count` bytes ahead without keeping them (a plain file seeks; gzip data is decompressed
    // up to there). Past the end, the next read returns nothing. Throws InputError on failure.
    void skip(std::uint64_t count);

    bool compressed() const { return compressed_; }
    const std::string& path() const { return path_; }

private:
    std::string path_;
    gzFile file_ = nullptr;
    bool compressed_ = false;
};

// The first `count` bytes of the file's content (decompressed when it is gzip), or fewer when it is
// shorter. Throws InputError when it cannot be read.
std::string read_head(const std::string& path, std::size_t count);

// The whole content (decompressed when it is gzip).
std::string read_all(const std::string& path);

// True when the file starts with the gzip magic bytes 1f 8b.
bool is_gzip_file(const std::string& path);

}  // namespace digitnet
