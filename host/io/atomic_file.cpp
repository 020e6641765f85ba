#include "digitnet/io/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "digitnet/errors.hpp"

namespace digitnet {

namespace fs = std::filesystem;

namespace {
fs::path folder_of(const fs::path& target) {
    return target.parent_path().empty() ? fs::path(".") : target.parent_path();
}
}  // namespace

void check_writable(const std::string& path, const std::string& what) {
    if (path.empty()) return;  // no output asked for
    const fs::path target(path);
    const fs::path folder = folder_of(target);
    std::error_code ec;
    if (!fs::is_directory(folder, ec))
        throw InputError(path + ": " + what + " names a folder that does not exist (" + folder.string() + ")");
    if (fs::is_directory(target, ec)) throw InputError(path + ": " + what + " names a directory, not a file");
    if (::access(folder.c_str(), W_OK) != 0) throw InputError(path + ": " + what + ": cannot write in " + folder.string());
}

void write_atomically(const std::string& path, const std::function<void(const std::string&)>& write) {
    const fs::path target(path);
    // A unique hidden name in the same folder, so the rename never crosses file systems and two
    // processes saving at once each rename a whole file of their own.
    std::random_device entropy;
    std::string name = ".";
    name += target.filename().string();
    name += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(entropy());
    const fs::path temporary = folder_of(target) / name;
    std::error_code ec;
    try {
        write(temporary.string());
        const int fd = ::open(temporary.c_str(), O_RDONLY);
        const bool flushed = fd >= 0 && ::fsync(fd) == 0;
        if (fd >= 0) ::close(fd);
        if (!flushed) throw InputError(path + ": cannot flush the written file to disk");
        fs::rename(temporary, target, ec);
        if (ec) throw InputError(path + ": cannot move the written file into place: " + ec.message());
    } catch (...) {
        fs::remove(temporary, ec);
        throw;
    }
}

}  // namespace digitnet
