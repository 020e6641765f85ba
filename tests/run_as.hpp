#pragma once
// Running a shell command in a child process with a resource limit or as another user: the
// full-disk tests (RLIMIT_FSIZE, writes then fail with EFBIG), the memory tests (RLIMIT_AS) and
// the tests of what an ordinary user may write (the suite runs as root in CI).
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

namespace digitnet::testing {

// AddressSanitizer reserves terabytes of address space and allocates through its own allocator:
// memory limits (RLIMIT_AS, RLIMIT_DATA) stop a sanitized program before digitnet's own checks run.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif
#else
inline constexpr bool kAddressSanitizer = false;
#endif

// The uid of an ordinary user ("nobody") when the tests run as root.
inline constexpr uid_t kNobody = 65534;

// Forks; the child calls prepare() (which returns false to give up: exit 125), then runs `body`
// and exits with what it returns. Returns the child's exit code (128 + signal when killed).
inline int in_child(const std::function<bool()>& prepare, const std::function<int()>& body) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        if (!prepare()) ::_exit(125);
        ::_exit(body());
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Limits `resource` to `bytes` in the child; SIGXFSZ is ignored so that writes beyond
// RLIMIT_FSIZE fail with EFBIG instead of killing the process.
inline std::function<bool()> with_limit(int resource, rlim_t bytes) {
    return [resource, bytes] {
        ::signal(SIGXFSZ, SIG_IGN);
        const struct rlimit limit { bytes, bytes };
        return ::setrlimit(resource, &limit) == 0;
    };
}

// Becomes `nobody` in the child (only possible as root; as an ordinary user, stays who it is).
// Gives up (the child exits 125: callers skip) when that user cannot read `needed`, such as a
// checkout in a folder only root may enter.
inline std::function<bool()> as_ordinary_user(const std::vector<std::string>& needed = {}) {
    return [needed] {
        if (::geteuid() == 0 && (::setgroups(0, nullptr) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0))
            return false;
        for (const std::string& path : needed)
            if (::access(path.c_str(), R_OK) != 0) return false;
        return true;
    };
}

// The exit code of a child that gave up in its preparation.
inline constexpr int kChildGaveUp = 125;

// sh -c command in the child; its exit code.
inline int shell(const std::string& command) {
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    return 127;
}

}  // namespace digitnet::testing
