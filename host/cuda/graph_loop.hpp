#pragma once
// The CUDA backend's own gradient-descent loop (GradientDescentLoop, backend.hpp): the iteration
// is captured once as a CUDA graph (CudaOptions::iterations_per_graph iterations a graph) and
// replayed; each iteration's J goes into a device history array that is copied back at the end.
// The host waits only once per chunk of iterations (about ChunkSchedule::kChunkSeconds of work),
// to report progress and look at the stop flag.
//
// As a shard of a data-parallel run (a ShardAgreement given), the captured iteration holds a
// collective sum over the processes, so every process must queue the same chunks: the loop then
// decides from sums read back from the device alone (chunk_schedule.hpp).
#include <atomic>
#include <functional>
#include <vector>

#include "cuda_handles.hpp"
#include "device.hpp"
#include "device_buffer.hpp"
#include "digitnet/cuda/cuda_backend.hpp"
#include "digitnet/model/backend.hpp"

namespace digitnet::cuda {

// How the loop of a shard talks to the other processes (ShardSum, shard_sum.hpp, implements it).
class ShardAgreement {
public:
    virtual ~ShardAgreement() = default;
    virtual int processes() const = 0;
    // This process's request, carried into the sum by every iteration that starts after it.
    virtual void request(bool stop, int chunk_proposal) = 0;
    // Device memory: [stop requests, chunk proposals] summed over the processes, as of the latest
    // iteration that ran.
    virtual const double* agreed() const = 0;
};

class GraphLoop final : public GradientDescentLoop {
public:
    // Queues one full iteration (J into history[*iteration], then ++*iteration; the gradient; the
    // step with steps.alpha, regularised with steps.lambda) on the context's stream. Captured,
    // never run eagerly by the loop.
    using EnqueueIteration = std::function<void(const GradientDescentSteps& steps, double* history, int* iteration)>;

    // check_ready runs before anything is queued (it throws when there is no training set).
    // `shard`: null for a process alone; otherwise it must outlive the loop. `iterations_per_graph`
    // (>= 1): iterations captured into one graph.
    GraphLoop(const CudaContext& context, std::function<void()> check_ready, EnqueueIteration enqueue_iteration,
              ShardAgreement* shard = nullptr, int iterations_per_graph = kDefaultIterationsPerGraph);

    std::vector<double> run(const GradientDescentSteps& steps, const TrainingObserver& observer) override;
    // The same, also stopped by `local_interrupt` (may be null); reports whether a stop was agreed
    // (always false alone: a process alone just stops).
    ShardGradientDescentLoop::Result run_with(const GradientDescentSteps& steps, const TrainingObserver& observer,
                                              const std::atomic<bool>* local_interrupt);

    // The captured graphs hold the addresses of the buffers they use and the numbers baked into
    // them: call this when any of them changes (a new training set, a shard's new global m).
    void forget_graphs() { graphs_ = Captured{}; }

private:
    GraphExec capture_iterations(int count, const GradientDescentSteps& steps);
    void prepare_history(const GradientDescentSteps& steps);
    void prepare_graphs(const GradientDescentSteps& steps);
    void launch_iterations(int count);

    const CudaContext& context_;
    std::function<void()> check_ready_;
    EnqueueIteration enqueue_iteration_;
    ShardAgreement* shard_ = nullptr;
    int iterations_per_graph_;
    Event chunk_done_[2];
    DeviceBuffer<int> iteration_;   // the regularized_cost kernel's write position
    DeviceBuffer<double> history_;  // the cost history, at least `iterations` entries
    // One slot of kSlotSize per chunk in flight: its last J and, for a shard, the agreed sums.
    static constexpr std::size_t kSlotSize = 3;
    PinnedBuffer<double> chunk_end_;

    // The captured iteration, valid for the alpha, lambda and history buffer it was captured with.
    struct Captured {
        double alpha = 0.0;
        double lambda = 0.0;
        const double* history = nullptr;
        GraphExec one, many;  // 1 and iterations_per_graph_ iterations
    } graphs_;
};

}  // namespace digitnet::cuda
