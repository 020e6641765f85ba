#pragma once
// Checkpoint files (checkpoint.hpp): a run's parameters, its optimizer's state and its history,
// in the small binary format described in checkpoint_file.cpp, written through SafeOutput.
#include <string>

#include "digitnet/train/checkpoint.hpp"

namespace digitnet {

// Writes `checkpoint` to `path` all or nothing (write_output_file): OutputError or InputError.
void write_checkpoint_file(const std::string& path, const Checkpoint& checkpoint);

// The checkpoint in `path`. InputError naming the file and what is wrong: not a checkpoint, a
// newer format, truncated or damaged (the checksum), sizes that do not agree.
Checkpoint read_checkpoint_file(const std::string& path);

}  // namespace digitnet
