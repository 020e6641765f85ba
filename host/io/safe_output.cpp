// Output files: checked before the work, written through a temporary file whose every system call
// is checked, renamed into place (safe_output.hpp says what is promised).
#include "digitnet/io/safe_output.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <random>

#include "digitnet/errors.hpp"

namespace digitnet {

namespace fs = std::filesystem;

namespace {

std::atomic<int> calls_until_failure{0};
std::atomic<int> injected_error{0};

// The test hook: true (with errno set) when this call is the one chosen to fail.
bool injected_failure() {
    if (calls_until_failure.load() <= 0) return false;
    if (calls_until_failure.fetch_sub(1) != 1) return false;
    errno = injected_error.load();
    return true;
}

std::string reason(int error_number) { return std::strerror(error_number); }

fs::path folder_of(const fs::path& target) {
    return target.parent_path().empty() ? fs::path(".") : target.parent_path();
}

// The file a path finally names, following symbolic links (also a dangling last one, whose target
// is then created).
fs::path resolve_links(const std::string& path) {
    fs::path current(path);
    for (int hops = 0; hops < 40; ++hops) {
        struct stat st {};
        if (::lstat(current.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return current;
        std::error_code ec;
        const fs::path target = fs::read_symlink(current, ec);
        if (ec) throw InputError(path + ": cannot read the symbolic link (" + ec.message() + ")");
        current = target.is_absolute() ? target : folder_of(current) / target;
    }
    throw InputError(path + ": too many levels of symbolic links");
}

bool is_special(const struct stat& st) {
    return S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode);
}

// Owns a file descriptor; closing it explicitly checks the close.
class Descriptor {
public:
    explicit Descriptor(int fd) : fd_(fd) {}
    ~Descriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;
    int get() const { return fd_; }
    // Returns false with errno set when the close reports an error (a delayed write failure).
    bool close() {
        const int fd = fd_;
        fd_ = -1;
        if (injected_failure()) {
            ::close(fd);
            return false;
        }
        return ::close(fd) == 0;
    }

private:
    int fd_;
};

// Every byte, through write(2); returns false with errno set on the first failure.
bool write_all(int fd, std::string_view bytes) {
    constexpr std::size_t chunk = std::size_t{1} << 20;
    while (!bytes.empty()) {
        if (injected_failure()) return false;
        const ssize_t written = ::write(fd, bytes.data(), std::min(bytes.size(), chunk));
        if (written < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        if (written == 0) {
            errno = EIO;
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(written));
    }
    return true;
}

bool sync(int fd) { return !injected_failure() && ::fsync(fd) == 0; }

// A device or FIFO is written where it is: replacing it with a regular file would break it.
void write_in_place(const std::string& path, const fs::path& target, const struct stat& st, std::string_view bytes) {
    if (S_ISSOCK(st.st_mode)) throw InputError(path + ": is a socket, not a file that can be written");
    // O_NONBLOCK: opening a FIFO nobody reads fails (ENXIO) instead of waiting for ever.
    Descriptor fd(::open(target.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC | (S_ISFIFO(st.st_mode) ? O_NONBLOCK : 0)));
    if (fd.get() < 0) {
        const int error = errno;
        throw OutputError(
            path + ": cannot open for writing (" +
            (error == ENXIO && S_ISFIFO(st.st_mode) ? std::string("no process reads the FIFO") : reason(error)) + ")");
    }
    if (S_ISFIFO(st.st_mode)) ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
    if (!write_all(fd.get(), bytes)) throw OutputError(path + ": cannot write (" + reason(errno) + ")");
    // Devices that keep nothing (a terminal, /dev/null) cannot be synced; that is not an error.
    if (!sync(fd.get()) && errno != EINVAL && errno != EROFS && errno != ENOTSUP)
        throw OutputError(path + ": cannot flush to the device (" + reason(errno) + ")");
    if (!fd.close()) throw OutputError(path + ": cannot write (" + reason(errno) + ")");
}

// A new, empty file of a name no one else uses, in `folder`, created with `mode` (less the umask).
std::pair<fs::path, int> create_temporary(const fs::path& folder, mode_t mode) {
    std::random_device entropy;
    for (int attempt = 0;; ++attempt) {
        char name[40];
        std::snprintf(name, sizeof name, ".digitnet-%08x.tmp", entropy());
        const fs::path temporary = folder / name;
        const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        if (fd >= 0 || errno != EEXIST || attempt == 100) return {temporary, fd};
    }
}

std::string mode_text(mode_t mode) {
    char text[8];
    std::snprintf(text, sizeof text, "%03o", static_cast<unsigned>(mode & 07777));
    return text;
}

}  // namespace

void fail_output_call_for_testing(int nth, int error_number) {
    injected_error = error_number;
    calls_until_failure = nth;
}

void check_output_path(const std::string& path, const std::string& what) {
    if (path.empty()) return;  // no output asked for
    const std::string where = path + ": " + what;
    const fs::path target = resolve_links(path);
    const fs::path folder = folder_of(target);
    struct stat st {};
    if (::stat(folder.c_str(), &st) != 0) {
        const int error = errno;
        if (error == ENOENT) throw InputError(where + " names a folder that does not exist (" + folder.string() + ")");
        throw InputError(where + ": cannot use the folder " + folder.string() + " (" + reason(error) + ")");
    }
    if (!S_ISDIR(st.st_mode)) throw InputError(where + ": " + folder.string() + " is not a folder");
    const long name_max = ::pathconf(folder.c_str(), _PC_NAME_MAX);
    const std::size_t name_length = target.filename().string().size();
    if (name_max > 0 && name_length > static_cast<std::size_t>(name_max))
        throw InputError(where + ": the file name is " + std::to_string(name_length) +
                         " characters long, more than the " + std::to_string(name_max) + " this file system allows");
    if (fs::absolute(target).string().size() >= PATH_MAX)
        throw InputError(where + ": the path is longer than the system allows (" + std::to_string(PATH_MAX) +
                         " characters)");
    if (target.filename().empty() || target.filename() == "." || target.filename() == "..")
        throw InputError(where + " names a directory, not a file");

    if (::stat(target.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) throw InputError(where + " names a directory, not a file");
        if (::access(target.c_str(), W_OK) != 0)
            throw InputError(where + ": the file is read-only for you (mode " + mode_text(st.st_mode) +
                             "); it was not replaced. HINT: choose another name, or chmod u+w it first");
        if (is_special(st)) return;  // written in place: nothing is created in its folder
    }
    // Creating (and removing) a file is the one test that covers everything: permissions, a
    // read-only file system, quotas, names the file system refuses.
    const auto [probe, fd] = create_temporary(folder, 0600);
    if (fd < 0) {
        const int error = errno;
        throw InputError(where + ": cannot create a file in " + folder.string() + " (" + reason(error) + ")");
    }
    ::close(fd);
    ::unlink(probe.c_str());
}

namespace {

bool is_idx_name(const fs::path& path) { return path.filename().string().find("-idx") != std::string::npos; }

// The files an input stands for: itself, and the IDX files of an IDX folder or beside an IDX file
// (its labels or images), which are all a reader may open.
std::vector<fs::path> files_of_input(const std::string& path) {
    std::vector<fs::path> files{fs::path(path)};
    std::error_code ec;
    const bool folder = fs::is_directory(path, ec);
    if (!folder && !is_idx_name(path)) return files;
    const fs::path where = folder ? fs::path(path) : folder_of(fs::path(path));
    for (fs::directory_iterator it(where, ec), end; !ec && it != end; it.increment(ec))
        if (is_idx_name(it->path())) files.push_back(it->path());
    return files;
}

bool same_file(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

}  // namespace

void check_outputs_are_not_inputs(const std::vector<NamedPath>& outputs, const std::vector<NamedPath>& inputs) {
    std::vector<std::pair<const NamedPath*, struct stat>> seen;  // outputs already checked
    for (const NamedPath& output : outputs) {
        if (output.path.empty()) continue;
        struct stat out {};
        if (::stat(output.path.c_str(), &out) != 0) continue;  // a new file cannot be an input
        for (const NamedPath& input : inputs) {
            if (input.path.empty()) continue;
            for (const fs::path& file : files_of_input(input.path)) {
                struct stat in {};
                if (::stat(file.c_str(), &in) == 0 && same_file(in, out))
                    throw InputError(output.path + ": " + output.option + " names the same file as the input " +
                                     input.option + " " + file.string() +
                                     "; writing it would destroy the input. HINT: choose another name");
            }
        }
        for (const auto& [earlier, earlier_stat] : seen)
            if (same_file(earlier_stat, out) && !is_special(out))
                throw InputError(output.path + ": " + output.option + " and " + earlier->option +
                                 " name the same file; each output needs its own");
        seen.emplace_back(&output, out);
    }
}

void write_output_file(const std::string& path, std::string_view bytes) {
    const fs::path target = resolve_links(path);
    struct stat existing {};
    const bool exists = ::stat(target.c_str(), &existing) == 0;
    if (exists && S_ISDIR(existing.st_mode)) throw InputError(path + ": is a directory, not a file");
    if (exists && is_special(existing)) return write_in_place(path, target, existing, bytes);
    if (exists && ::access(target.c_str(), W_OK) != 0)
        throw InputError(path + ": the file is read-only for you (mode " + mode_text(existing.st_mode) +
                         "); it was not replaced");

    const fs::path folder = folder_of(target);
    // Not a structured binding: the lambda below captures it (clang before C++20's P1091).
    const std::pair<fs::path, int> created = create_temporary(folder, exists ? (existing.st_mode & 07777) : 0666);
    const fs::path temporary = created.first;
    const int raw_fd = created.second;
    if (raw_fd < 0)
        throw OutputError(path + ": cannot create a file in " + folder.string() + " (" + reason(errno) + ")");
    Descriptor fd(raw_fd);
    auto fail = [&](const std::string& what) {
        const int error = errno;
        ::unlink(temporary.c_str());
        throw OutputError(path + ": " + what + " (" + reason(error) + "); the previous file, if any, is unchanged");
    };
    if (exists) {
        // The umask applied at creation: set the exact mode and the previous owner.
        if (::fchmod(fd.get(), existing.st_mode & 07777) != 0) fail("cannot keep the file's permissions");
        struct stat made {};
        if (::fstat(fd.get(), &made) != 0) fail("cannot examine the temporary file");
        if ((made.st_uid != existing.st_uid || made.st_gid != existing.st_gid) &&
            ::fchown(fd.get(), existing.st_uid, existing.st_gid) != 0)
            fail("cannot keep the file's owner");
    }
    if (!write_all(fd.get(), bytes)) fail("cannot write");
    if (!sync(fd.get())) fail("cannot flush the file to disk");
    if (!fd.close()) fail("cannot write");
    if (injected_failure() || ::rename(temporary.c_str(), target.c_str()) != 0)
        fail("cannot move the written file into place");
    // The rename is durable only once the folder is: without this a crash could bring back the old file.
    Descriptor directory(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (directory.get() >= 0 && ::fsync(directory.get()) != 0 && errno != EINVAL)
        throw OutputError(path + ": written, but its folder cannot be flushed to disk (" + reason(errno) + ")");
}

std::string bytes_written_by(const std::string& path_for_messages,
                             const std::function<void(const std::string&)>& write) {
    Descriptor scratch(::memfd_create("digitnet-output", MFD_CLOEXEC));
    if (scratch.get() < 0)
        throw OutputError(path_for_messages + ": cannot make a scratch file in memory (" + reason(errno) + ")");
    write("/proc/self/fd/" + std::to_string(scratch.get()));
    struct stat st {};
    if (::fstat(scratch.get(), &st) != 0)
        throw OutputError(path_for_messages + ": cannot read back what was written (" + reason(errno) + ")");
    std::string bytes(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t got = ::pread(scratch.get(), bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0)
            throw OutputError(path_for_messages + ": cannot read back what was written (" + reason(errno) + ")");
        done += static_cast<std::size_t>(got);
    }
    return bytes;
}

}  // namespace digitnet
