#pragma once
// Writing output files so that nothing is lost and nothing misleads:
//   - every write, the flush to disk (fsync) and the close are checked; the bytes go to a
//     temporary file in the target's folder, which is renamed over the target, and the folder is
//     fsynced; on any failure the temporary file is removed, the previous file stays byte for
//     byte as it was, and OutputError names the path and the system's reason (ENOSPC, EFBIG...);
//   - a symbolic link is followed: its target is replaced, in the target's folder, and the link
//     stays; a device or FIFO is written in place, never replaced by a regular file;
//   - a replaced file keeps its permissions and owner; a file the user may not write (access
//     W_OK) is refused;
//   - commands check their outputs before any work: the folder exists and takes a new file, the
//     name is not too long, and no output is the same file (device and inode) as an input.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace digitnet {

// Throws InputError naming `path` and the option `what` ("--save") when `path` cannot be written:
// its folder is missing or takes no new file, its name is too long, it is a directory, or it is
// an existing file the user may not write. An empty path (no output asked for) passes. It
// creates and removes a probe file in the folder, so what it accepts can really be written.
void check_output_path(const std::string& path, const std::string& what);

// One file a command names, with the option that named it ("--data", "--save").
struct NamedPath {
    std::string option;
    std::string path;
};

// Throws InputError when an output is the same file (device and inode, through links) as an input
// or as another output; a folder input stands for the files in it, and an IDX file for the IDX
// files beside it (its labels). Empty paths and outputs that do not exist yet pass.
void check_outputs_are_not_inputs(const std::vector<NamedPath>& outputs, const std::vector<NamedPath>& inputs);

// Writes `bytes` to `path` as described above. Throws OutputError (or InputError for a path that
// can never be written, such as a directory or a read-only file).
void write_output_file(const std::string& path, std::string_view bytes);

// The bytes of a file made by `write(scratch_path)` in a scratch file in memory (memfd), for
// libraries that write only to a named file (matio); write_output_file then puts them in place.
// Throws OutputError naming `path_for_messages`.
std::string bytes_written_by(const std::string& path_for_messages,
                             const std::function<void(const std::string& scratch)>& write);

// For tests only: make the `nth` following system call of write_output_file (each write, the
// fsync, the close, the rename; counted from 1) fail with `error_number`; 0 turns it off.
void fail_output_call_for_testing(int nth, int error_number);

}  // namespace digitnet
