#pragma once
// How much memory this process may still take: so that a network or data set too large for the
// machine is refused with numbers before the allocation, not by std::bad_alloc minutes later.
#include <cstdint>
#include <optional>
#include <string>

namespace digitnet {

// The smaller of the kernel's MemAvailable (/proc/meminfo) and what the process's cgroup limit
// still allows (cgroup v2 memory.max less memory.current, or v1's limit less usage); nullopt
// when neither can be read.
std::optional<std::uint64_t> available_memory_bytes();

// "3.9 GB", "512 MB", "12 KB": bytes for a person to read.
std::string bytes_text(double bytes);

// Throws InputError "<what> needs about X of memory but this machine has Y available; HINT: <hint>"
// when `needed` is larger than what is available (nothing is checked when that is unknown).
void check_memory_available(double needed, const std::string& what, const std::string& hint);

}  // namespace digitnet
