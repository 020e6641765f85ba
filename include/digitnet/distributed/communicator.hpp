#pragma once
// The processes that train together, and the few collective operations data-parallel training
// needs (DESIGN.md, "Several processes"). Every process calls the same operations in the same
// order; each call returns the same result on every process, bit for bit, so all of them take the
// same optimizer steps and branches.
//
// Three implementations: one process alone (no MPI: every operation is the identity), MPI
// (mpi_session.hpp; host buffers), and NCCL for the gradient between GPUs (nccl_communicator.hpp).
#include <memory>
#include <span>
#include <stdexcept>
#include <string>

namespace digitnet {

// An MPI or NCCL call failed, or another process did: the message names the call.
class CommunicationError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Communicator {
public:
    virtual ~Communicator() = default;

    virtual int rank() const = 0;  // 0..size()-1
    virtual int size() const = 0;
    // "MPI (Open MPI v4.1.4), 3 processes", for reports.
    virtual std::string describe() const = 0;

    // Element-wise sum over all processes, in place.
    virtual void sum(std::span<double> values) = 0;
    // The largest and smallest of one value over all processes.
    virtual long long max(long long value) = 0;
    virtual long long min(long long value) = 0;
    // `text` of process `root` on every process.
    virtual void broadcast(std::string& text, int root) = 0;
    // Ends every process with `exit_code`, for failures the processes cannot agree on (one of them
    // failed in the middle of a step). Never returns.
    [[noreturn]] virtual void abort(int exit_code) = 0;

    bool is_root() const { return rank() == 0; }
};

// One process on its own: size 1, every operation leaves its input as it is.
std::unique_ptr<Communicator> make_single_process_communicator();

}  // namespace digitnet
