#pragma once
// Failures when several processes train together. A step that may fail on one process and not on
// the others (reading its rows, writing the model on rank 0) runs through on_every_process: then
// either every process goes on, or every process throws the same AgreedFailure (the first failing
// rank's message), which main() prints once (on rank 0) and turns into the same exit code
// everywhere. Anything else that escapes on one process of several ends them all (MPI_Abort), so
// no process is left waiting in a collective.
//
// Before any of that, the processes agree on what they run (agree_on_command, agree_on): the same
// subcommand, the same request, the same data. Processes started differently would otherwise
// call collectives of different sizes (a crash) or different collectives (a hang), or train a
// model that is no one's request (each process fitting its own data).
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "digitnet/distributed/communicator.hpp"
#include "digitnet/model/dataset.hpp"
#include "digitnet/run/request.hpp"

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

// What every process of one run must hold the same of, field by field, in the order compared:
// each field's name as the user knows it ("--hidden") and its value as text ("25,25").
struct Fingerprint {
    std::vector<std::pair<std::string, std::string>> fields;
    void add(std::string name, std::string value) { fields.emplace_back(std::move(name), std::move(value)); }
};

// Every process compares its fingerprint with process 0's. When any differs, every process throws
// the same AgreedFailure (exit code 2), one line naming the lowest differing process and its first
// differing field with both values. The fingerprints are made by the same code on every process,
// so they hold the same fields in the same order.
void agree_on(Communicator& processes, const Fingerprint& mine);

// The first collective of every run under mpirun: every process's arguments parse (otherwise all
// throw the first failing process's failure) and name the same subcommand, so that no process
// waits in a collective the others never make.
void agree_on_command(Communicator& processes, const std::string& subcommand,
                      const std::optional<Failure>& parse_failure);

// The bytes of the files a data path stands for (the file; the IDX files of a folder or beside an
// IDX file), as "crc32 1a2b3c4d, 12345 bytes". Throws InputError when one cannot be read.
std::string data_checksum(const std::string& path);

// `train`'s request as the processes compare it: the layout, the optimizer and its options, the
// precision, the seed, lambda, the checkpoints, and the checksums of the files --data,
// --test-data and --init name (read here: throws InputError when one cannot be). The one place
// that says what of a request must agree (a new option that changes the training is added here).
Fingerprint train_request_fingerprint(const run::RunRequest& request);
// The data each process read for `train`: the sizes of the whole sets, features, classes, label
// convention and picture shape.
Fingerprint training_data_fingerprint(const Dataset& train, int train_total, const Dataset* test, int test_total);

}  // namespace digitnet::cli
