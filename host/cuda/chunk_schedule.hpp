#pragma once
// How many iterations each chunk of the graph loop (graph_loop.hpp) queues, and when it stops
// queueing. Plain C++ with no CUDA in it, so that the tests check it in every build.
//
// Alone, a process sizes its chunks from its own timing and stops when its own stop flag is up.
// As a shard of a data-parallel run, every iteration's collective sum in the CUDA graph must be
// met by the same iteration on every process, so every process must queue the same chunks and stop
// after the same one. Its decisions then come only from values summed over the processes on the
// device: each iteration carries this process's stop request and the chunk size it would like
// (the request, written by the host) into the sum, and after each chunk the host reads back the
// sums of the chunk's last iteration (the same numbers on every process) and calls agree().
#include <algorithm>
#include <cmath>

namespace digitnet::cuda {

class ChunkSchedule {
public:
    // Work queued between two looks at progress and the stop flag; at most two chunks are in flight.
    static constexpr double kChunkSeconds = 0.1;
    static constexpr int kFirstChunk = 32;
    static constexpr int kMaxChunk = 1 << 16;

    // `iterations` to run, by `processes` queueing the same chunks (1: this process alone).
    ChunkSchedule(int iterations, int processes) : iterations_(iterations), processes_(std::max(1, processes)) {}

    // The size of the next chunk to queue; 0 once all iterations are queued or the loop stops.
    int next() const { return stopped_ ? 0 : std::min(chunk_, iterations_ - queued_); }
    void queued(int count) { queued_ += count; }
    int queued_total() const { return queued_; }

    // The chunk size this process would like next: about kChunkSeconds of work at the pace of its
    // last chunk (`count` iterations in `seconds`), growing at most 4x a chunk.
    int proposal(double seconds, int count) const {
        const double per_iteration = count > 0 ? seconds / count : 0.0;
        const double wanted = per_iteration > 0.0 ? kChunkSeconds / per_iteration : 4.0 * chunk_;
        return static_cast<int>(std::clamp(wanted, 1.0, std::min(4.0 * chunk_, double(kMaxChunk))));
    }

    // Alone: this process's own decision.
    void stop() { stopped_ = true; }
    void resize(int chunk) { chunk_ = std::clamp(chunk, 1, kMaxChunk); }

    // A shard: what the processes asked for, summed over all of them (the same numbers on every
    // process): how many asked to stop, and the sum of their proposals. Any request stops the loop;
    // the next chunks hold the proposals' mean (rounded down: the same integer everywhere).
    void agree(double stop_requests, double proposal_sum) {
        if (stop_requests > 0.0) stopped_ = true;
        const double mean = std::floor(proposal_sum / processes_);
        resize(mean >= double(kMaxChunk) ? kMaxChunk : mean >= 1.0 ? static_cast<int>(mean) : 1);  // NaN: 1
        agreed_stop_ = agreed_stop_ || stop_requests > 0.0;
    }
    // Whether agree() saw a stop request (every process sees the same).
    bool agreed_stop() const { return agreed_stop_; }

private:
    int iterations_;
    int processes_;
    int chunk_ = kFirstChunk;
    int queued_ = 0;
    bool stopped_ = false;
    bool agreed_stop_ = false;
};

}  // namespace digitnet::cuda
