#pragma once
// Random numbers for one example of one epoch, derived from (seed, epoch, example index) alone: the
// n-th number is a hash of the triple and n (SplitMix64's finaliser, Steele, Lea and Flood 2014),
// not the n-th step of a shared generator. So an example's transform does not depend on which
// thread draws it or in what order: every epoch new, every run the same.
#include <cstdint>

namespace digitnet {

// SplitMix64's output function: a bijection of 64-bit words that mixes every input bit into all.
constexpr std::uint64_t splitmix64_mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

class CounterRandom {
public:
    CounterRandom(std::uint64_t seed, std::uint64_t epoch, std::uint64_t index)
        : key_(splitmix64_mix(splitmix64_mix(splitmix64_mix(seed) ^ (epoch + kGamma)) ^ (index + 2 * kGamma))) {}

    // The next 64 random bits: the hash of the key and a counter (SplitMix64's stream from the key).
    std::uint64_t next_bits() { return splitmix64_mix(key_ + kGamma * ++counter_); }
    // Uniform in [0, 1), 53 random bits.
    double uniform() { return double(next_bits() >> 11) * 0x1.0p-53; }
    // Uniform in [-half_width, half_width): exactly 0 when half_width is 0 (a number is drawn
    // all the same, so that turning one transform off leaves the others' numbers as they were).
    double symmetric(double half_width) {
        const double u = uniform();
        return half_width == 0 ? 0.0 : (2 * u - 1) * half_width;
    }

private:
    static constexpr std::uint64_t kGamma = 0x9e3779b97f4a7c15ULL;  // 2^64 / golden ratio, odd
    std::uint64_t key_;
    std::uint64_t counter_ = 0;
};

}  // namespace digitnet
