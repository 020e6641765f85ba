#pragma once
// One shard's gradient-descent iteration in a data-parallel run, as the CUDA graph holds it
// (DESIGN.md, "Several processes"; M the global number of examples, r this process):
//   pass over the shard, sums divided by M, regularised on process 0 only  -> grad, J_r in scalars[0]
//   the host's request [stop, chunk proposal] (pinned memory)               -> scalars[1..2]
//   DeviceSum (NCCL): grad and scalars summed over the processes, one grouped operation
//   history[*iteration] = scalars[0] = J, ++*iteration
//   Theta -= alpha grad                                                     the same on every process
// Why the regularisation on process 0: sum_r [S_r / M + (r == 0) R] = S / M + R, so it is added
// exactly once, by the pass every process runs anyway (no kernel of its own), and with one process
// the pass is the very one the loop without a DeviceSum runs.
// Why the update is a step of its own: the fused pass takes its step inside its partial-sum kernel,
// before any sum over the processes could happen. Here every pass, fused or general, is asked for
// the gradient only, and gradient_descent_update follows the sum: one extra launch on the fused
// path, which keeps its two-launch pass.
#include <cuda_runtime_api.h>

#include "device_buffer.hpp"
#include "device_network.hpp"
#include "digitnet/cuda/device_sum.hpp"
#include "digitnet/model/backend.hpp"
#include "example_set.hpp"
#include "gradient_pass.hpp"
#include "graph_loop.hpp"
#include "shard_terms.hpp"

namespace digitnet::cuda {

template <class T>
class ShardSum final : public ShardAgreement {
public:
    // `sum` must outlive this.
    ShardSum(DeviceNetwork<T>& network, DeviceSum& sum);

    int processes() const override { return sum_.size(); }
    void request(bool stop, int chunk_proposal) override;
    const double* agreed() const override { return scalars_.data() + 1; }

    // The global m (at least the shard's). Uploads 1/M (waits for the stream); returns whether it
    // changed, in which case graphs captured before hold the old one.
    bool set_total_examples(int total);
    int total_examples() const { return total_; }

    // One sum of the buffers, run now and waited for, by every process before its first capture:
    // NCCL sets up its connections on a communicator's first operations, and a peer that is missing
    // or mismatched then fails here, with NCCL's message, rather than inside a graph. The buffers'
    // contents are scratch (every iteration rewrites them). Later calls do nothing.
    void warm_up();

    // Queues one iteration, as above, over `shard` (captured by the graph loop).
    void enqueue_iteration(GradientPass<T>& pass, ExampleSet<T>& shard, const GradientDescentSteps& steps,
                           double* history, int* iteration);

private:
    DeviceNetwork<T>& network_;
    DeviceSum& sum_;
    int total_ = 0;
    bool warmed_up_ = false;
    DeviceBuffer<T> inverse_total_;    // 1/M, the gradient GEMMs' alpha
    DeviceBuffer<double> scalars_;     // [J_r, then J; stop requests; chunk proposals]
    DeviceBuffer<int> cost_position_;  // the pass writes J_r to scalars_[*cost_position_]: reset to 0
    PinnedBuffer<double> request_;     // [stop, chunk proposal], written by the host, read by each iteration
};

}  // namespace digitnet::cuda
