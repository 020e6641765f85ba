// The graph-replayed gradient-descent loop (graph_loop.hpp).
#include "graph_loop.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <deque>
#include <stdexcept>
#include <string>
#include <utility>

#include "chunk_schedule.hpp"
#include "cuda_check.hpp"

namespace digitnet::cuda {

namespace {

// on_progress is called at most this often (and once at the end).
constexpr auto kProgressInterval = std::chrono::milliseconds(250);

}  // namespace

// The host waits on the chunk events with blocking_sync: it sleeps instead of spinning a core for
// ~100 ms, and the later wake-up costs nothing because the next chunk is already queued on the GPU.
GraphLoop::GraphLoop(const CudaContext& context, std::function<void()> check_ready, EnqueueIteration enqueue_iteration,
                     ShardAgreement* shard, int iterations_per_graph)
    : context_(context),
      check_ready_(std::move(check_ready)),
      enqueue_iteration_(std::move(enqueue_iteration)),
      shard_(shard),
      iterations_per_graph_(iterations_per_graph) {
    if (iterations_per_graph_ < 1)
        throw std::invalid_argument("iterations per CUDA graph must be at least 1, not " +
                                    std::to_string(iterations_per_graph_));
    for (auto& event : chunk_done_) event = make_event(true);
    iteration_ = DeviceBuffer<int>(1, "the iteration counter");
    chunk_end_ = PinnedBuffer<double>(2 * kSlotSize);
}

// Captures `count` iterations from the stream into an executable graph. The history pointer,
// alpha and lambda are baked in; the write position is the device counter.
GraphExec GraphLoop::capture_iterations(int count, const GradientDescentSteps& steps) {
    const cudaStream_t stream = context_.stream();
    CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
    try {
        for (int i = 0; i < count; ++i) enqueue_iteration_(steps, history_.data(), iteration_.data());
    } catch (...) {
        cudaGraph_t broken = nullptr;
        cudaStreamEndCapture(stream, &broken);  // leave the stream usable
        if (broken != nullptr) cudaGraphDestroy(broken);
        cudaGetLastError();
        throw;
    }
    cudaGraph_t raw = nullptr;
    CUDA_CHECK(cudaStreamEndCapture(stream, &raw));
    const Graph graph(raw);
    cudaGraphExec_t exec = nullptr;
    CUDA_CHECK(cudaGraphInstantiate(&exec, graph.get(), 0));
    return GraphExec(exec);
}

void GraphLoop::prepare_history(const GradientDescentSteps& steps) {
    if (history_.size() < static_cast<std::size_t>(steps.iterations)) {
        history_ = DeviceBuffer<double>(static_cast<std::size_t>(steps.iterations), "the cost history");
        graphs_ = Captured{};
    }
}

void GraphLoop::prepare_graphs(const GradientDescentSteps& steps) {
    if (graphs_.alpha != steps.alpha || graphs_.lambda != steps.lambda || graphs_.history != history_.data())
        graphs_ = Captured{.alpha = steps.alpha, .lambda = steps.lambda, .history = history_.data()};
    if (!graphs_.one) graphs_.one = capture_iterations(1, steps);
    if (!graphs_.many && iterations_per_graph_ > 1 && steps.iterations >= iterations_per_graph_)
        graphs_.many = capture_iterations(iterations_per_graph_, steps);
}

void GraphLoop::launch_iterations(int count) {
    for (; count >= iterations_per_graph_ && graphs_.many; count -= iterations_per_graph_)
        CUDA_CHECK(cudaGraphLaunch(graphs_.many.get(), context_.stream()));
    for (; count > 0; --count) CUDA_CHECK(cudaGraphLaunch(graphs_.one.get(), context_.stream()));
}

std::vector<double> GraphLoop::run(const GradientDescentSteps& steps, const TrainingObserver& observer) {
    return run_with(steps, observer, nullptr).history;
}

// Replays the captured iteration in chunks of about
// kChunkSeconds, at most two chunks queued, so the GPU never waits for the host. After each chunk
// small async copies bring back its last cost (and, for a shard, the agreed sums); the host waits
// for the older chunk only, then reports progress and decides what to queue next
// (chunk_schedule.hpp). A stop lets the queued chunk finish: the history returned covers every
// iteration that ran, on a shard the same ones on every process.
ShardGradientDescentLoop::Result GraphLoop::run_with(const GradientDescentSteps& steps,
                                                     const TrainingObserver& observer,
                                                     const std::atomic<bool>* local_interrupt) {
    check_ready_();
    if (steps.iterations <= 0) return {};
    context_.use_device();
    const cudaStream_t stream = context_.stream();
    prepare_history(steps);
    prepare_graphs(steps);
    iteration_.fill_zero(stream);

    using Clock = std::chrono::steady_clock;
    struct InFlight {
        int end;    // iterations done when this chunk is
        int count;  // iterations in it
        int slot;   // its event and pinned slot
    };
    std::deque<InFlight> in_flight;
    int completed = 0;
    int next_slot = 0;
    ChunkSchedule schedule(steps.iterations, shard_ ? shard_->processes() : 1);
    auto stop_requested = [&] {
        return (observer.stop_requested != nullptr && observer.stop_requested->load()) ||
               (local_interrupt != nullptr && local_interrupt->load());
    };
    if (shard_) shard_->request(stop_requested(), ChunkSchedule::kFirstChunk);
    auto last_report = Clock::now();
    auto last_completion = last_report;

    while (true) {
        if (!shard_ && stop_requested()) schedule.stop();
        for (int count = schedule.next(); count > 0 && in_flight.size() < 2; count = schedule.next()) {
            launch_iterations(count);
            double* slot = &chunk_end_[static_cast<std::size_t>(next_slot) * kSlotSize];
            const int end = schedule.queued_total() + count;
            CUDA_CHECK(
                cudaMemcpyAsync(slot, history_.data() + end - 1, sizeof(double), cudaMemcpyDeviceToHost, stream));
            if (shard_)
                CUDA_CHECK(
                    cudaMemcpyAsync(slot + 1, shard_->agreed(), 2 * sizeof(double), cudaMemcpyDeviceToHost, stream));
            CUDA_CHECK(cudaEventRecord(chunk_done_[next_slot].get(), stream));
            schedule.queued(count);
            in_flight.push_back({end, count, next_slot});
            next_slot ^= 1;
        }
        if (in_flight.empty()) break;
        const InFlight done = in_flight.front();
        in_flight.pop_front();
        CUDA_CHECK(cudaEventSynchronize(chunk_done_[done.slot].get()));
        completed = done.end;
        const double* slot = &chunk_end_[static_cast<std::size_t>(done.slot) * kSlotSize];

        // The next chunks hold about kChunkSeconds of work: alone as this process measured it; on a
        // shard as all processes agreed (read before the slot is queued again).
        const auto now = Clock::now();
        const int proposal =
            schedule.proposal(std::chrono::duration<double>(now - last_completion).count(), done.count);
        last_completion = now;
        if (shard_) {
            shard_->request(stop_requested(), proposal);
            schedule.agree(slot[1], slot[2]);
        } else {
            schedule.resize(proposal);
        }

        const bool last = in_flight.empty() && schedule.next() == 0;
        if (observer.on_progress && (now - last_report >= kProgressInterval || last)) {
            observer.on_progress(completed, slot[0]);
            last_report = now;
        }
    }

    ShardGradientDescentLoop::Result result;
    result.history.resize(static_cast<std::size_t>(completed));
    history_.download(result.history.data(), result.history.size(), stream);
    CUDA_CHECK(cudaStreamSynchronize(stream));
    result.agreed_stop = schedule.agreed_stop();
    return result;
}

}  // namespace digitnet::cuda
