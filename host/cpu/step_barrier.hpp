#pragma once
// The barrier between the phases of the CPU backend's mini-batch steps (cpu_backend.cpp), in
// place of `#pragma omp barrier`. libgomp's barrier spins for a long time by default (its
// OMP_WAIT_POLICY, read once when the program starts): on a quiet machine that is what a step of
// a few hundred microseconds wants, but where the cores are shared with other work the spinning
// thread takes the core from the very thread it waits for, and an epoch ran 6x slower on a loaded
// 2-core machine (8.7 s against 1.4 s with OMP_WAIT_POLICY=passive). This one spins briefly (up to
// ~50 us, longer than a balanced phase's skew) and then sleeps on the atomic (a futex), so it is
// as quick as spinning when the machine is quiet and yields the core when it is not.
#include <xmmintrin.h>

#include <atomic>
#include <chrono>

namespace digitnet::cpu {

class StepBarrier {
public:
    explicit StepBarrier(int threads) : threads_(threads) {}

    void wait() {
        const unsigned generation = generation_.load(std::memory_order_acquire);
        if (arrived_.fetch_add(1, std::memory_order_acq_rel) == threads_ - 1) {
            arrived_.store(0, std::memory_order_relaxed);
            generation_.fetch_add(1, std::memory_order_acq_rel);
            generation_.notify_all();
            return;
        }
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
        for (int i = 1;; ++i) {
            if (generation_.load(std::memory_order_acquire) != generation) return;
            _mm_pause();
            if (i % 64 == 0 && std::chrono::steady_clock::now() > give_up) break;
        }
        while (generation_.load(std::memory_order_acquire) == generation)
            generation_.wait(generation, std::memory_order_acquire);
    }

private:
    const int threads_;
    std::atomic<int> arrived_{0};
    std::atomic<unsigned> generation_{0};
};

}  // namespace digitnet::cpu
