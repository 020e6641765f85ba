#pragma once
// The order of the examples in each epoch of a mini-batch run. Each epoch's permutation is made
// afresh from the seed and the epoch's number alone (not from the previous epoch's order), so a
// run resumed at any step needs only its step count to continue with the same batches, and every
// backend, on the host or the device, draws the same batches. mt19937_64 and the draw below are
// specified to the bit by the standard and here, so the order is the same on every platform
// (std::shuffle and std::uniform_int_distribution are not).
#include <cstdint>
#include <numeric>
#include <random>
#include <utility>
#include <vector>

namespace digitnet {

// SplitMix64's finaliser: spreads neighbouring seeds and epochs over the generator's states.
inline std::uint64_t mix_seed(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

// Uniform in [0, n), n >= 1: draws at or above the largest multiple of n are drawn again.
inline std::uint64_t draw_below(std::mt19937_64& generator, std::uint64_t n) {
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    std::uint64_t x = generator();
    while (x >= limit) x = generator();
    return x % n;
}

// order = the permutation of 0..m-1 for `epoch` (0-based): Fisher-Yates.
inline void epoch_permutation(std::uint64_t seed, std::int64_t epoch, int m, std::vector<int>& order) {
    order.resize(static_cast<std::size_t>(m));
    std::iota(order.begin(), order.end(), 0);
    std::mt19937_64 generator(mix_seed(seed ^ mix_seed(static_cast<std::uint64_t>(epoch))));
    for (int i = m - 1; i > 0; --i)
        std::swap(order[static_cast<std::size_t>(i)],
                  order[static_cast<std::size_t>(draw_below(generator, static_cast<std::uint64_t>(i) + 1))]);
}

// Batches of an epoch: ceil(m / batch), the last one smaller when batch does not divide m.
inline std::int64_t steps_per_epoch(int examples, int batch) {
    const int b = batch < examples ? batch : examples;
    return (examples + b - 1) / b;
}

// The positions in the epoch's permutation that step `step` (0-based, counted over the whole run)
// takes: [start, start + size). Every loop (host-driven, the CPU backend's, the GPU's) picks its
// batch through this.
struct BatchWindow {
    std::int64_t epoch;
    int start, size;
};
inline BatchWindow batch_window(std::int64_t step, int examples, int batch) {
    const int b = batch < examples ? batch : examples;
    const std::int64_t per_epoch = steps_per_epoch(examples, batch);
    const int start = static_cast<int>(step % per_epoch) * b;
    return {step / per_epoch, start, examples - start < b ? examples - start : b};
}

}  // namespace digitnet
