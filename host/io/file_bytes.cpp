#include "file_bytes.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "digitnet/errors.hpp"
#include "digitnet/io/system_memory.hpp"

namespace digitnet {

std::string read_file_bytes(const std::string& path) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (!std::filesystem::exists(status)) throw InputError(path + ": no such file");
    if (std::filesystem::is_directory(status)) throw InputError(path + ": is a directory, not a model file");
    errno = 0;
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), std::fclose);
    if (!file) throw InputError(path + ": cannot be read (" + std::strerror(errno) + ")");
    const std::uintmax_t size = std::filesystem::is_regular_file(status) ? std::filesystem::file_size(path, ec) : 0;
    const auto available = available_memory_bytes();
    if (available && size > *available / 2)
        throw InputError(path + ": is " + bytes_text(double(size)) + ", more than this machine's " +
                         bytes_text(double(*available)) + " of free memory can load as a model");
    std::string bytes;
    char chunk[1 << 16];
    for (;;) {
        const std::size_t got = std::fread(chunk, 1, sizeof chunk, file.get());
        bytes.append(chunk, got);
        if (got < sizeof chunk) break;
        if (available && bytes.size() > *available / 2)
            throw InputError(path + ": is larger than this machine's free memory can load as a model");
    }
    if (std::ferror(file.get())) throw InputError(path + ": read error (" + std::strerror(errno) + ")");
    return bytes;
}

}  // namespace digitnet
