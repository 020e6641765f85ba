#pragma once
// The CUDA backend's own gradient-descent loop (GradientDescentLoop, backend.hpp): the iteration
// is captured once as a CUDA graph (kIterationsPerGraph iterations a graph) and replayed, or, for
// a pass that runs many iterations in one launch (the persistent pass), each chunk is one call of
// that pass; each iteration's J goes into a device history array that is copied back at the end.
// The host waits only once per chunk of iterations (about kChunkSeconds of work), to report
// progress and look at the stop flag.
#include <functional>
#include <vector>

#include "cuda_handles.hpp"
#include "device.hpp"
#include "device_buffer.hpp"
#include "digitnet/model/backend.hpp"

namespace digitnet::cuda {

class GraphLoop final : public GradientDescentLoop {
public:
    // Queues one full iteration (J into history[*iteration], then ++*iteration; the gradient; the
    // step with steps.alpha, regularised with steps.lambda) on the context's stream. Captured,
    // never run eagerly by the loop.
    using EnqueueIteration = std::function<void(const GradientDescentSteps& steps, double* history, int* iteration)>;

    // Queues `count` iterations at once (J into history[*iteration], ++*iteration, each), on the
    // context's stream, not captured: the persistent pass.
    using EnqueueIterations =
        std::function<void(const GradientDescentSteps& steps, double* history, int* iteration, int count)>;

    // check_ready runs before anything is queued (it throws when there is no training set). With
    // enqueue_iterations (not empty) every chunk is one call of it and nothing is captured.
    GraphLoop(const CudaContext& context, std::function<void()> check_ready, EnqueueIteration enqueue_iteration,
              EnqueueIterations enqueue_iterations = {});

    std::vector<double> run(const GradientDescentSteps& steps, const TrainingObserver& observer) override;

    // The captured graphs hold the addresses of the buffers they use: call this when any of them
    // changes (a new training set).
    void forget_graphs() { graphs_ = Captured{}; }

private:
    GraphExec capture_iterations(int count, const GradientDescentSteps& steps);
    void prepare_history(const GradientDescentSteps& steps);
    void prepare_graphs(const GradientDescentSteps& steps);
    void launch_iterations(const GradientDescentSteps& steps, int count);

    const CudaContext& context_;
    std::function<void()> check_ready_;
    EnqueueIteration enqueue_iteration_;
    EnqueueIterations enqueue_iterations_;
    Event chunk_done_[2];
    DeviceBuffer<int> iteration_;       // the regularized_cost kernel's write position
    DeviceBuffer<double> history_;      // the cost history, at least `iterations` entries
    PinnedBuffer<double> latest_cost_;  // one slot per chunk in flight

    // The captured iteration, valid for the alpha, lambda and history buffer it was captured with.
    struct Captured {
        double alpha = 0.0;
        double lambda = 0.0;
        const double* history = nullptr;
        GraphExec one, many;  // 1 and kIterationsPerGraph iterations
    } graphs_;
};

}  // namespace digitnet::cuda
