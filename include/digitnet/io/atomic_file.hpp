#pragma once
// Writing an output file so that no reader ever sees it half-written and a failure leaves the
// old file as it was: write a temporary file beside it, flush it to disk, rename it into place.
#include <functional>
#include <string>

namespace digitnet {

// Throws InputError naming `path` when its folder does not exist or is not writable, or when
// `path` is a directory; an empty path (no output asked for) passes. Commands call it before any work, so bad input writes nothing.
void check_writable(const std::string& path, const std::string& what);

// Calls write(temporary_path), which must create that file, then fsyncs it and renames it over
// `path`. On any failure (write throws, flush or rename fails) the temporary file is removed and
// InputError (or write's own exception) propagates; `path` is untouched.
void write_atomically(const std::string& path, const std::function<void(const std::string& temporary)>& write);

}  // namespace digitnet
