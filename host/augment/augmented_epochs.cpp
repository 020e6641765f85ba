#include "digitnet/augment/augmented_epochs.hpp"

#include <stdexcept>

#ifdef __linux__
#include <sys/resource.h>
#include <unistd.h>
#endif

namespace digitnet {

AugmentedEpochs::AugmentedEpochs(const Dataset& train, const AugmentOptions& options, std::uint64_t seed,
                                 int worker_threads, bool lowest_priority)
    : augmenter_(std::make_unique<Augmenter>(train, options, seed)) {
    const Augmenter* augmenter = augmenter_.get();
    maker_ = [augmenter, worker_threads](int epoch, Dataset& out, std::stop_token stop) {
        return augmenter->augment_epoch(epoch, out, worker_threads, stop);
    };
    worker_ = std::jthread([this, lowest_priority](std::stop_token stop) { work(stop, lowest_priority); });
}

AugmentedEpochs::AugmentedEpochs(EpochMaker maker, bool lowest_priority) : maker_(std::move(maker)) {
    worker_ = std::jthread([this, lowest_priority](std::stop_token stop) { work(stop, lowest_priority); });
}

AugmentedEpochs::~AugmentedEpochs() {
    // Before any member goes: the worker reads them until it has returned.
    worker_.request_stop();
    if (worker_.joinable()) worker_.join();
}

void AugmentedEpochs::work(std::stop_token stop, bool lowest_priority) {
#ifdef __linux__
    // On Linux a nice value belongs to the thread (and the threads it starts inherit it). Best
    // effort: where it is refused, the worker runs at the caller's priority.
    if (lowest_priority) (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 19);
#else
    (void)lowest_priority;
#endif
    for (int epoch = 0;; ++epoch) {
        {
            std::unique_lock lock(mutex_);
            if (!changed_.wait(lock, stop, [&] { return epoch < allowed_; })) return;
        }
        bool finished = false;
        try {
            finished = maker_(epoch, buffers_[epoch % 2], stop);
            if (!finished && !stop.stop_requested())
                throw std::runtime_error("augmentation: the epoch maker stopped without being asked to");
        } catch (...) {
            std::lock_guard lock(mutex_);
            error_ = std::current_exception();
            changed_.notify_all();
            return;
        }
        if (!finished) return;  // stopped: the destructor is waiting
        {
            std::lock_guard lock(mutex_);
            made_ = epoch + 1;
        }
        changed_.notify_all();
    }
}

const Dataset& AugmentedEpochs::next() {
    std::unique_lock lock(mutex_);
    const int epoch = handed_out_;
    // The caller is done with epoch - 1, whose buffer now takes epoch + 1.
    allowed_ = epoch + 2;
    changed_.notify_all();
    changed_.wait(lock, [&] { return made_ > epoch || error_ != nullptr; });
    if (made_ <= epoch) std::rethrow_exception(error_);
    ++handed_out_;
    return buffers_[epoch % 2];
}

}  // namespace digitnet
