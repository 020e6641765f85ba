#pragma once
// Augmented epochs made in the background: while the trainer trains on epoch e's copy, a worker
// thread makes epoch e+1's (two buffers of the whole training matrix). next() hands out the
// epochs in order; the worker's exceptions come out of next(); the destructor stops the worker
// between two examples and joins it.
//
// The worker uses one thread by default, at the lowest priority (nice 19) unless told otherwise:
// the CPU trainer's threads meet at a barrier every step, so a worker that takes a core from one
// of them stalls them all; at nice 19 it runs mostly where they leave a core idle (bench/log/
// 2026-12-02-augment.md measures each).
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <thread>

#include "digitnet/augment/augment_options.hpp"
#include "digitnet/augment/augmenter.hpp"
#include "digitnet/model/dataset.hpp"

namespace digitnet {

class AugmentedEpochs {
public:
    // Makes epoch `epoch` into `out` (which may hold an older epoch to overwrite); returns false
    // when it stopped early because `stop` was requested.
    using EpochMaker = std::function<bool(int epoch, Dataset& out, std::stop_token stop)>;

    // The epochs of Augmenter(train, options, seed), made on `worker_threads` threads, at nice 19
    // when `lowest_priority` (where the system allows; Linux). `train` must outlive this object.
    // Throws InputError (from Augmenter) at once for bad options or data.
    AugmentedEpochs(const Dataset& train, const AugmentOptions& options, std::uint64_t seed, int worker_threads = 1,
                    bool lowest_priority = true);
    // Any maker (the tests give one that fails or never ends).
    explicit AugmentedEpochs(EpochMaker maker, bool lowest_priority = false);
    ~AugmentedEpochs();
    AugmentedEpochs(const AugmentedEpochs&) = delete;
    AugmentedEpochs& operator=(const AugmentedEpochs&) = delete;

    // The next epoch (0 first), waiting for it if the worker has not finished it. The reference
    // stays valid until the following call of next(). Rethrows what the worker threw making it.
    const Dataset& next();

private:
    void work(std::stop_token stop, bool lowest_priority);

    std::unique_ptr<Augmenter> augmenter_;  // null with a caller's maker
    EpochMaker maker_;
    Dataset buffers_[2];  // epoch e lives in buffers_[e % 2]

    std::mutex mutex_;
    std::condition_variable_any changed_;
    int made_ = 0;        // epochs 0 .. made_-1 are done
    int allowed_ = 2;     // the worker may make epochs below this (the buffer is free)
    int handed_out_ = 0;  // epochs handed out by next()
    std::exception_ptr error_;
    std::jthread worker_;  // last: started once everything above exists, joined first
};

}  // namespace digitnet
