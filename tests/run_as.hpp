#pragma once
// Running a shell command in a child process with a resource limit or as another user: the
// full-disk tests (RLIMIT_FSIZE, writes then fail with EFBIG), the memory tests (RLIMIT_AS) and
// the tests of what an ordinary user may write (the suite runs as root in CI).
#include <signal.h>
#include <sys/resource.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>

namespace digitnet::testing {

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
        const struct rlimit limit {bytes, bytes};
        return ::setrlimit(resource, &limit) == 0;
    };
}

// Becomes `nobody` in the child (only possible as root; as an ordinary user, stays who it is).
inline std::function<bool()> as_ordinary_user() {
    return [] {
        if (::geteuid() != 0) return true;
        return ::setgroups(0, nullptr) == 0 && ::setgid(kNobody) == 0 && ::setuid(kNobody) == 0;
    };
}

// sh -c command in the child; its exit code.
inline int shell(const std::string& command) {
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    return 127;
}

}  // namespace digitnet::testing
