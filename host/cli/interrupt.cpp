#include "interrupt.hpp"

#include <csignal>

namespace digitnet::cli {

namespace {

std::atomic<bool> interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the flag is set from a signal handler");

void on_signal(int signal_number) {
    if (interrupted.load()) {
        // Second signal: the user means it. Restore the default action and re-raise.
        std::signal(signal_number, SIG_DFL);
        std::raise(signal_number);
        return;
    }
    interrupted.store(true);
}

}  // namespace

const std::atomic<bool>& install_interrupt_handler() {
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    return interrupted;
}

}  // namespace digitnet::cli
