#pragma once
// A structural check of a .mat file before matio parses it.
//
// matio (1.5.23, Debian 12) trusts the sizes written in a file's headers: a variable name, a
// dimension list, a cell array or a struct's field table of a few hundred bytes on disk can make
// it allocate gigabytes (found by tests/fuzz/fuzz_mat_data). check_mat_file walks the headers
// matio will parse (every variable's, also inside cells and structs) and throws InputError when
// any of them claims more bytes than the file holds, so matio only ever sees sizes it can back.
// Files that are well formed pass untouched; the check reads headers only, never the data.
#include <string>

namespace digitnet {

// Level 5 files (MATLAB v5 to v7, compressed or not) and level 4 files are walked; v7.3 files are
// HDF5, which matio hands to libhdf5, and are checked per variable (check_mat73_variable). Throws InputError naming
// `path` and the byte offset of the damaged header.
void check_mat_file(const std::string& path);

// For a v7.3 (HDF5) file, the one variable `name` matio is about to read: libhdf5 sizes its
// buffers by the dataset's datatype and chunk shape, which a damaged file can set to gigabytes
// (found by fuzz_mat_data: a 4 GiB conversion buffer). Throws InputError when the values would
// not fit in `file_bytes` (with the same 1100:1 allowance for compression as read_matrix) or are
// not plain numbers of at most 16 bytes. Does nothing when the variable is not a dataset.
void check_mat73_variable(const std::string& path, const char* name, unsigned long long file_bytes);

}  // namespace digitnet
