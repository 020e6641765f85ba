#pragma once
// The older names of safe_output.hpp's checks and writer, kept for callers that use them.
#include <functional>
#include <string>

#include "digitnet/io/safe_output.hpp"

namespace digitnet {

// check_output_path.
void check_writable(const std::string& path, const std::string& what);

// Calls write(scratch_path), which must create that file, then writes what it holds to `path`
// through write_output_file (safe_output.hpp). The scratch file lives in memory.
void write_atomically(const std::string& path, const std::function<void(const std::string& scratch)>& write);

// The bytes of a file made by `write(scratch_path)` in a scratch file in memory (memfd), for
// libraries that write only to a named file (matio). Throws OutputError naming `path_for_messages`.
std::string bytes_written_by(const std::string& path_for_messages,
                             const std::function<void(const std::string& scratch)>& write);

}  // namespace digitnet
