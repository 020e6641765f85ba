#pragma once
// Data-parallel training (DESIGN.md, "Several processes"): a Backend made of one local backend
// per process, each holding only its shard of the training set.
//
// J and its gradient over the whole set are one flat sum over the processes:
//   buffer = [m_r J_r(lambda 0), m_r grad_r(lambda 0)...]   (the shard's sums of cost and gradient)
//   buffer = SUM over r of buffer                          (one allreduce)
//   J = buffer[0] / m + lambda/(2m) |Theta[:,1:]|^2,  grad = buffer[1:] / m + (lambda/m) [0, Theta[:,1:]]
// with m the global number of examples. Every process gets the same J and gradient, so every
// process's optimizer takes the same step: gd and cg run unchanged on top (the generic loop; cg's
// line-search evaluations are the same sums), and adam's mini-batches are split by who owns the rows.
//
// The buffer carries one more entry: whether any process saw an interrupt (Ctrl-C, SIGTERM), so
// all of them stop at the same iteration (agreed_interrupt()).
//
// gd's own loop: where the local backend sums over the processes itself (the CUDA backend given
// NCCL as its DeviceSum: the allreduce inside its CUDA graph, shard_gradient_descent_loop()), gd
// runs that loop, passing it the global m and this process's interrupt flag; a stop it agreed on
// raises agreed_interrupt() on every process. Otherwise gd runs the generic loop over the sums above.
#include <atomic>
#include <memory>

#include "digitnet/distributed/communicator.hpp"
#include "digitnet/distributed/shard.hpp"
#include "digitnet/model/backend.hpp"

namespace digitnet {

class DataParallelBackend final : public Backend {
public:
    // `local` computes on this process's shard; `communicator` must outlive the backend.
    DataParallelBackend(std::unique_ptr<Backend> local, Communicator& communicator);

    DeviceReport device_report() const override;
    Device device() const override { return local_->device(); }
    Precision precision() const override { return local_->precision(); }
    const Layout& layout() const override { return local_->layout(); }

    // The whole training set, of which this process keeps its own rows (for .mat files, which
    // every process reads whole).
    void set_training_set(const Dataset& train) override;
    // Only this process's rows, `shard` = rows `rows` of a set of `total` examples (for readers
    // that read only their own rows).
    void set_training_shard(const Dataset& shard, RowRange rows, int total);
    int examples() const override { return total_; }  // the global m
    RowRange own_rows() const { return rows_; }

    void set_parameters(const Parameters& parameters) override;
    Parameters parameters() const override { return local_->parameters(); }

    double cost_and_gradient(double lambda, Parameters* gradient) override;
    // `rows` are global row indices, the same on every process; each process computes the ones it
    // owns (possibly none).
    double cost_and_gradient_on(std::span<const int> rows, double lambda, Parameters* gradient) override;

    // The local backend's output for the rows of X (this process's rows, as the caller chooses).
    Matrix<double> output(const Matrix<double>& X) override { return local_->output(X); }

    // The local backend's shard loop where it has one (see above); otherwise none: gd runs the
    // generic loop, one allreduce an iteration.
    GradientDescentLoop* gradient_descent_loop() override;

    // The interrupt flag of this process (a signal handler's); read at every allreduce.
    void watch_interrupt(const std::atomic<bool>* local) { local_interrupt_ = local; }
    // Raised on every process at the same allreduce once any process's flag was up.
    const std::atomic<bool>& agreed_interrupt() const { return agreed_interrupt_; }

    // Seconds spent in the allreduce so far, and how many there were (for the benchmark).
    double allreduce_seconds() const { return allreduce_seconds_; }
    long allreduce_count() const { return allreduce_count_; }

private:
    // Sums the buffer over the processes and turns it into J and the gradient (see above), `m`
    // the number of examples the sums ran over.
    double finish(double lambda, double m, Parameters* gradient);

    // gd run by the local backend's ShardGradientDescentLoop, seen as a GradientDescentLoop (see above).
    class ShardLoopAdapter final : public GradientDescentLoop {
    public:
        ShardLoopAdapter(DataParallelBackend& owner, ShardGradientDescentLoop& local) : owner_(owner), local_(local) {}
        std::vector<double> run(const GradientDescentSteps& steps, const TrainingObserver& observer) override;

    private:
        DataParallelBackend& owner_;
        ShardGradientDescentLoop& local_;
    };

    std::unique_ptr<Backend> local_;
    Communicator& communicator_;
    RowRange rows_;
    int total_ = 0;
    std::vector<double> theta_;   // the parameters as set, for the regularisation
    std::vector<double> buffer_;  // [interrupt, cost sum, gradient sums...]
    Parameters local_gradient_;
    std::vector<int> local_rows_;
    const std::atomic<bool>* local_interrupt_ = nullptr;
    std::atomic<bool> agreed_interrupt_{false};
    std::unique_ptr<ShardLoopAdapter> shard_loop_;  // made on first use
    double allreduce_seconds_ = 0.0;
    long allreduce_count_ = 0;
};

}  // namespace digitnet
