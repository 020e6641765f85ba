#pragma once
// Failures when several processes train together. A step that may fail on one process and not on
// the others (reading its rows, writing the model on rank 0) runs through on_every_process: then
// either every process goes on, or every process throws the same AgreedFailure (the first failing
// rank's message), which main() prints once (on rank 0) and turns into the same exit code
// everywhere. Anything else that escapes on one process of several ends them all (MPI_Abort), so
// no process is left waiting in a collective.
#include <exception>
#include <optional>
#include <string>

#include "digitnet/distributed/communicator.hpp"

namespace digitnet::cli {

// How main() reports an error: the exit code and the line after "digitnet: ".
struct Failure {
    int exit_code = 1;
    std::string line;  // "error: data.csv: line 3: ..." or "GPU error: ..."
};
Failure failure_of(std::exception_ptr error);

class AgreedFailure : public std::exception {
public:
    explicit AgreedFailure(Failure failure) : failure_(std::move(failure)) {}
    const Failure& failure() const { return failure_; }
    const char* what() const noexcept override { return failure_.line.c_str(); }

private:
    Failure failure_;
};

// Every process says whether it failed; when any did, all throw AgreedFailure with the lowest
// failing rank's failure. One process alone rethrows nothing: it never calls this with a failure.
void agree(Communicator& processes, const std::optional<Failure>& mine);

// Runs `step` on this process, then agree()s. With one process, `step` simply runs (its exceptions
// propagate as they are, exactly as without MPI).
template <class Step>
void on_every_process(Communicator& processes, Step&& step) {
    if (processes.size() == 1) {
        step();
        return;
    }
    std::optional<Failure> mine;
    try {
        step();
    } catch (...) {
        mine = failure_of(std::current_exception());
    }
    agree(processes, mine);
}

}  // namespace digitnet::cli
