#include "digitnet/io/system_memory.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "digitnet/errors.hpp"

namespace digitnet {

namespace {

// A number in a one-line file such as memory.max ("max" means no limit).
std::optional<std::uint64_t> number_in(const std::string& path) {
    std::ifstream in(path);
    std::string word;
    if (!(in >> word) || word == "max") return std::nullopt;
    try {
        return std::stoull(word);
    } catch (...) {
        return std::nullopt;
    }
}

std::optional<std::uint64_t> mem_available() {
    std::ifstream in("/proc/meminfo");
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string key;
        std::uint64_t kilobytes = 0;
        if (fields >> key >> kilobytes && key == "MemAvailable:") return kilobytes * 1024;
    }
    return std::nullopt;
}

// The cgroup this process is in, from /proc/self/cgroup ("0::/path" for v2, "N:memory:/path" for v1).
std::optional<std::uint64_t> cgroup_room() {
    std::ifstream in("/proc/self/cgroup");
    std::string line;
    while (std::getline(in, line)) {
        const auto first = line.find(':'), second = line.find(':', first + 1);
        if (first == std::string::npos || second == std::string::npos) continue;
        const std::string controllers = line.substr(first + 1, second - first - 1), group = line.substr(second + 1);
        std::optional<std::uint64_t> limit, usage;
        if (controllers.empty()) {
            limit = number_in("/sys/fs/cgroup" + group + "/memory.max");
            usage = number_in("/sys/fs/cgroup" + group + "/memory.current");
        } else if (controllers.find("memory") != std::string::npos) {
            limit = number_in("/sys/fs/cgroup/memory" + group + "/memory.limit_in_bytes");
            usage = number_in("/sys/fs/cgroup/memory" + group + "/memory.usage_in_bytes");
        }
        // v1 reports "no limit" as a huge number; anything beyond 2^60 bytes is no limit.
        if (limit && *limit < (std::uint64_t{1} << 60)) return *limit - std::min(*limit, usage.value_or(0));
    }
    return std::nullopt;
}

// What an address-space limit (ulimit -v) leaves: the limit less the process's size now.
std::optional<std::uint64_t> address_space_room() {
    struct rlimit limit {};
    if (::getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return std::nullopt;
    std::ifstream in("/proc/self/status");
    std::string line;
    std::uint64_t used = 0;
    while (std::getline(in, line))
        if (line.rfind("VmSize:", 0) == 0) used = std::stoull(line.substr(7)) * 1024;
    return limit.rlim_cur - std::min<std::uint64_t>(limit.rlim_cur, used);
}

}  // namespace

std::optional<std::uint64_t> available_memory_bytes() {
    std::optional<std::uint64_t> room;
    for (const auto& limit : {mem_available(), cgroup_room(), address_space_room()})
        if (limit) room = room ? std::min(*room, *limit) : *limit;
    return room;
}

std::string bytes_text(double bytes) {
    const char* units[] = {"bytes", "KB", "MB", "GB", "TB", "PB"};
    int unit = 0;
    while (bytes >= 1000.0 && unit < 5) {
        bytes /= 1000.0;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
    return text;
}

void check_memory_available(double needed, const std::string& what, const std::string& hint) {
    const auto available = available_memory_bytes();
    if (!available || needed <= double(*available)) return;
    throw InputError(what + " needs about " + bytes_text(needed) + " of memory but this machine has " +
                     bytes_text(double(*available)) + " available; HINT: " + hint);
}

}  // namespace digitnet
