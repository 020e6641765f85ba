#pragma once
// Ctrl-C and SIGTERM during training: the first one asks the run to stop at the end of the
// current iteration (and save); a second one ends the program at once, as usual.
#include <atomic>

namespace digitnet::cli {

// Installs the handlers for SIGINT and SIGTERM and returns the flag they raise.
const std::atomic<bool>& install_interrupt_handler();

}  // namespace digitnet::cli
