// The graph-replayed gradient-descent loop (graph_loop.hpp).
#include "graph_loop.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <deque>
#include <utility>

#include "cuda_check.hpp"

namespace digitnet::cuda {

namespace {

// Iterations captured into one CUDA graph: replaying a graph of several iterations saves the gap
// between graph launches. Not yet measured on a GPU: 1 is the plain choice, 8 the guess.
constexpr int kIterationsPerGraph = 8;
// Work queued between two looks at progress and the stop flag; at most two chunks are in flight.
constexpr double kChunkSeconds = 0.1;
constexpr int kFirstChunk = 32;
constexpr int kMaxChunk = 1 << 16;
// on_progress is called at most this often (and once at the end).
constexpr auto kProgressInterval = std::chrono::milliseconds(250);

}  // namespace

// The host waits on the chunk events with blocking_sync: it sleeps instead of spinning a core for
// ~100 ms, and the later wake-up costs nothing because the next chunk is already queued on the GPU.
GraphLoop::GraphLoop(const CudaContext& context, std::function<void()> check_ready,
                     EnqueueIteration enqueue_iteration, EnqueueIterations enqueue_iterations)
    : context_(context),
      check_ready_(std::move(check_ready)),
      enqueue_iteration_(std::move(enqueue_iteration)),
      enqueue_iterations_(std::move(enqueue_iterations)) {
    for (auto& event : chunk_done_) event = make_event(true);
    iteration_ = DeviceBuffer<int>(1, "the iteration counter");
    latest_cost_ = PinnedBuffer<double>(2);
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
        graphs_ = Captured{steps.alpha, steps.lambda, history_.data(), nullptr, nullptr};
    if (!graphs_.one) graphs_.one = capture_iterations(1, steps);
    if (!graphs_.many && steps.iterations >= kIterationsPerGraph)
        graphs_.many = capture_iterations(kIterationsPerGraph, steps);
}

void GraphLoop::launch_iterations(const GradientDescentSteps& steps, int count) {
    if (enqueue_iterations_) {
        enqueue_iterations_(steps, history_.data(), iteration_.data(), count);
        return;
    }
    for (; count >= kIterationsPerGraph && graphs_.many; count -= kIterationsPerGraph)
        CUDA_CHECK(cudaGraphLaunch(graphs_.many.get(), context_.stream()));
    for (; count > 0; --count) CUDA_CHECK(cudaGraphLaunch(graphs_.one.get(), context_.stream()));
}

// Replays the captured iteration (or queues the persistent pass's launches) in chunks of about
// kChunkSeconds, at most two chunks queued, so the GPU never waits for the host. After each chunk
// one small async copy brings back its last cost; the host waits for the older chunk only, then
// reports progress and looks at the stop flag. A stop lets the queued chunk finish: the history
// returned covers every iteration that ran.
std::vector<double> GraphLoop::run(const GradientDescentSteps& steps, const TrainingObserver& observer) {
    check_ready_();
    if (steps.iterations <= 0) return {};
    context_.use_device();
    const cudaStream_t stream = context_.stream();
    prepare_history(steps);
    if (!enqueue_iterations_) prepare_graphs(steps);
    iteration_.fill_zero(stream);

    using Clock = std::chrono::steady_clock;
    struct InFlight {
        int end;    // iterations done when this chunk is
        int count;  // iterations in it
        int slot;   // its event and pinned cost slot
    };
    std::deque<InFlight> in_flight;
    int enqueued = 0;
    int completed = 0;
    int chunk = kFirstChunk;
    int next_slot = 0;
    bool stopping = false;
    auto stop_requested = [&] { return observer.stop_requested != nullptr && observer.stop_requested->load(); };
    auto last_report = Clock::now();
    auto last_completion = last_report;

    while (true) {
        if (stop_requested()) stopping = true;
        while (!stopping && enqueued < steps.iterations && in_flight.size() < 2) {
            const int count = std::min(chunk, steps.iterations - enqueued);
            launch_iterations(steps, count);
            CUDA_CHECK(cudaMemcpyAsync(&latest_cost_[static_cast<std::size_t>(next_slot)],
                                       history_.data() + enqueued + count - 1, sizeof(double),
                                       cudaMemcpyDeviceToHost, stream));
            CUDA_CHECK(cudaEventRecord(chunk_done_[next_slot].get(), stream));
            enqueued += count;
            in_flight.push_back({enqueued, count, next_slot});
            next_slot ^= 1;
        }
        if (in_flight.empty()) break;
        const InFlight done = in_flight.front();
        in_flight.pop_front();
        CUDA_CHECK(cudaEventSynchronize(chunk_done_[done.slot].get()));
        completed = done.end;

        // Size the next chunks so that each holds about kChunkSeconds of work (at most 4x growth).
        const auto now = Clock::now();
        const double seconds = std::chrono::duration<double>(now - last_completion).count();
        last_completion = now;
        const double per_iteration = seconds / done.count;
        const double wanted = per_iteration > 0.0 ? kChunkSeconds / per_iteration : 4.0 * chunk;
        chunk = static_cast<int>(std::clamp(wanted, 1.0, std::min(4.0 * chunk, double(kMaxChunk))));

        if (observer.on_progress && (now - last_report >= kProgressInterval || completed == steps.iterations ||
                                     (in_flight.empty() && stopping))) {
            observer.on_progress(completed, latest_cost_[static_cast<std::size_t>(done.slot)]);
            last_report = now;
        }
    }

    std::vector<double> history(static_cast<std::size_t>(completed));
    history_.download(history.data(), history.size(), stream);
    CUDA_CHECK(cudaStreamSynchronize(stream));
    return history;
}

}  // namespace digitnet::cuda
