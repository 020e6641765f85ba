#pragma once
// The augmented copies of a training set, epoch by epoch: example i of epoch e is example i of the
// set through the transform drawn from (seed, e, i) (counter_random.hpp), whatever the number of
// threads and the order in which the examples are made. Labels, classes and shape stay as they were.
#include <cstdint>
#include <stop_token>

#include "digitnet/augment/augment_options.hpp"
#include "digitnet/augment/example_transform.hpp"
#include "digitnet/model/dataset.hpp"

namespace digitnet {

class Augmenter {
public:
    // Keeps a reference to `train`, which must outlive the augmenter. InputError when the set is
    // not image-shaped or the options are out of range.
    Augmenter(const Dataset& train, const AugmentOptions& options, std::uint64_t seed);

    const ImageFormat& format() const { return format_; }
    const Dataset& train() const { return train_; }

    // The transform of example `index` in epoch `epoch`.
    ExampleTransform transform(int epoch, int index) const;
    // Example `index` of epoch `epoch`, into out (features() values).
    void augment_example(int epoch, int index, double* out) const;

    // Epoch `epoch`'s copy of the whole set into `out` (reusing its storage), on `threads` threads
    // (std::thread, each a contiguous block of examples). Returns false, out half made, when `stop`
    // was requested before the end (it is checked between examples).
    bool augment_epoch(int epoch, Dataset& out, int threads = 1, std::stop_token stop = {}) const;

private:
    const Dataset& train_;
    AugmentOptions options_;
    std::uint64_t seed_;
    ImageFormat format_;
};

}  // namespace digitnet
