// The host-side rules of data-parallel gd inside the CUDA graph (cuda/shard_sum.hpp), checked in
// every build (no GPU, no MPI): how a shard's pass is scaled, how the graph loop's chunks and stop
// are agreed, and which loop DataParallelBackend runs and what it does with the result.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "cuda/chunk_schedule.hpp"
#include "cuda/shard_terms.hpp"
#include "digitnet/cpu/cpu_backend.hpp"
#include "digitnet/distributed/data_parallel_backend.hpp"
#include "digitnet/distributed/shard.hpp"
#include "digitnet/train/trainer.hpp"
#include "test_util.hpp"
#include "tolerances.hpp"

namespace digitnet {
namespace {

using cuda::ChunkSchedule;

// Each shard's pass divides by the global m and only process 0 regularises: the shards' results
// add up to J and its gradient over the whole set. A CPU backend on the shard gives J_r(lambda_r)
// = S_r / m_r + lambda_r R / m_r, so (m_r / M) J_r(lambda_r) is what the shard's pass computes.
TEST(ShardTerms, TheShardsAddUpToTheWholeSetsCostAndGradient) {
    const Dataset data = testing::random_dataset(41, 7, 3, 5);
    const Layout layout = make_layout(7, {6, 4}, 3, Activation::Tanh, Output::Softmax);
    const Parameters theta = random_parameters(layout, 3);
    const double lambda = 1.7;
    auto whole = make_cpu_backend(Precision::Double, layout);
    whole->set_training_set(data);
    whole->set_parameters(theta);
    Parameters expected;
    const double expected_cost = whole->cost_and_gradient(lambda, &expected);

    const int processes = 3, total = data.examples();
    double cost = 0.0;
    std::vector<double> gradient(theta.values.size(), 0.0);
    for (int rank = 0; rank < processes; ++rank) {
        const RowRange rows = shard_rows(total, rank, processes);
        const cuda::ShardTerms terms = cuda::shard_terms(rank, lambda, total);
        EXPECT_EQ(terms.divide_by, total);
        EXPECT_EQ(terms.lambda, rank == 0 ? lambda : 0.0);
        auto shard = make_cpu_backend(Precision::Double, layout);
        shard->set_training_set(take_rows(data, rows));
        shard->set_parameters(theta);
        Parameters shard_gradient;
        const double scale = static_cast<double>(rows.count) / terms.divide_by;
        cost += scale * shard->cost_and_gradient(terms.lambda, &shard_gradient);
        for (std::size_t j = 0; j < gradient.size(); ++j) gradient[j] += scale * shard_gradient.values[j];
    }
    EXPECT_TRUE(testing::within(cost, expected_cost, testing::kDoubleTolerance)) << cost << " " << expected_cost;
    EXPECT_LE(testing::worst_error_ratio(gradient, expected.values, testing::kDoubleTolerance), 1.0);
}

TEST(ChunkSchedule, AloneFollowsItsOwnTimingAndStop) {
    ChunkSchedule schedule(100, 1);
    EXPECT_EQ(schedule.next(), ChunkSchedule::kFirstChunk);
    schedule.queued(schedule.next());
    // 32 iterations in 1 ms: 0.1 s would hold 3200, but a chunk grows at most 4x.
    EXPECT_EQ(schedule.proposal(0.001, 32), 4 * ChunkSchedule::kFirstChunk);
    // 32 iterations in 1 s: 0.1 s holds 3.
    EXPECT_EQ(schedule.proposal(1.0, 32), 3);
    schedule.resize(50);
    EXPECT_EQ(schedule.next(), 50);
    schedule.queued(50);
    EXPECT_EQ(schedule.next(), 100 - 32 - 50);  // never past the iterations asked for
    schedule.stop();
    EXPECT_EQ(schedule.next(), 0);
    EXPECT_FALSE(schedule.agreed_stop());  // alone, a stop is not an agreement
}

// Processes that see the same sums queue the same chunks and stop after the same one, whatever
// each proposed and whenever each asked to stop: the sums are all they decide from.
TEST(ChunkSchedule, ProcessesSeeingTheSameSumsQueueTheSameChunks) {
    const int processes = 3, iterations = 5000;
    std::vector<ChunkSchedule> schedules(processes, ChunkSchedule(iterations, processes));
    // What each process asks for as of the last iteration of chunk k: rank 1 asks to stop from
    // chunk 6 on; the proposals differ from process to process and from chunk to chunk.
    auto stop_request = [](int rank, int k) { return rank == 1 && k >= 6 ? 1.0 : 0.0; };
    auto proposal = [](int rank, int k) { return 20.0 + 17.0 * rank + 5.0 * k; };
    std::vector<std::vector<int>> queued(processes);
    for (int k = 0; schedules[0].next() > 0; ++k) {
        double stops = 0.0, proposals = 0.0;
        for (int rank = 0; rank < processes; ++rank) {
            stops += stop_request(rank, k);
            proposals += proposal(rank, k);
        }
        for (int rank = 0; rank < processes; ++rank) {
            ChunkSchedule& schedule = schedules[static_cast<std::size_t>(rank)];
            const int count = schedule.next();
            queued[static_cast<std::size_t>(rank)].push_back(count);
            schedule.queued(count);
            schedule.agree(stops, proposals);
        }
        ASSERT_LT(k, 100);
    }
    for (int rank = 1; rank < processes; ++rank) EXPECT_EQ(queued[static_cast<std::size_t>(rank)], queued[0]);
    // Chunk 0 is the first size; chunk k > 0 the mean of the proposals after chunk k - 1; the
    // request seen after chunk 6 stops the loop: 7 chunks.
    ASSERT_EQ(queued[0].size(), 7u);
    EXPECT_EQ(queued[0][0], ChunkSchedule::kFirstChunk);
    EXPECT_EQ(queued[0][1], (20 + 37 + 54) / 3);
    EXPECT_EQ(queued[0][6], (60 + 17 * 3 + 15 * 5) / 3);
    for (const ChunkSchedule& schedule : schedules) EXPECT_TRUE(schedule.agreed_stop());
}

TEST(ChunkSchedule, AnAgreedSizeStaysWithinBounds) {
    ChunkSchedule schedule(1 << 20, 2);
    schedule.agree(0.0, 1.0);  // a mean below 1
    EXPECT_EQ(schedule.next(), 1);
    schedule.agree(0.0, 1e12);
    EXPECT_EQ(schedule.next(), ChunkSchedule::kMaxChunk);
    schedule.agree(0.0, std::numeric_limits<double>::quiet_NaN());
    EXPECT_EQ(schedule.next(), 1);
    EXPECT_FALSE(schedule.agreed_stop());
}

// A local backend with a shard loop: records what it was given, moves the parameters as a loop
// would, and returns what it is told to.
class FakeShardBackend final : public Backend, public ShardGradientDescentLoop {
public:
    explicit FakeShardBackend(const Layout& layout) : cpu_(make_cpu_backend(Precision::Double, layout)) {}
    DeviceReport device_report() const override { return {.device = Device::Gpu, .hardware = "fake"}; }
    Device device() const override { return Device::Gpu; }
    Precision precision() const override { return Precision::Double; }
    const Layout& layout() const override { return cpu_->layout(); }
    void set_training_set(const Dataset& train) override { cpu_->set_training_set(train); }
    int examples() const override { return cpu_->examples(); }
    void set_parameters(const Parameters& parameters) override { cpu_->set_parameters(parameters); }
    Parameters parameters() const override { return cpu_->parameters(); }
    double cost_and_gradient(double lambda, Parameters* gradient) override {
        return cpu_->cost_and_gradient(lambda, gradient);
    }
    double cost_and_gradient_on(std::span<const int> rows, double lambda, Parameters* gradient) override {
        return cpu_->cost_and_gradient_on(rows, lambda, gradient);
    }
    Matrix<double> output(const Matrix<double>& X) override { return cpu_->output(X); }
    ShardGradientDescentLoop* shard_gradient_descent_loop() override { return this; }

    Result run(const GradientDescentSteps& steps, int total_examples, const TrainingObserver&,
               const std::atomic<bool>* local_interrupt) override {
        seen_total = total_examples;
        seen_interrupt = local_interrupt;
        Parameters moved = cpu_->parameters();
        for (double& value : moved.values) value *= 0.5;
        cpu_->set_parameters(moved);
        const int ran = stop_after > 0 ? std::min(stop_after, steps.iterations) : steps.iterations;
        return {std::vector<double>(static_cast<std::size_t>(ran), 1.25), stop_after > 0};
    }

    int stop_after = 0;  // > 0: a stop agreed after this many iterations
    int seen_total = 0;
    const std::atomic<bool>* seen_interrupt = nullptr;

private:
    std::unique_ptr<Backend> cpu_;
};

TEST(DataParallelBackend, RunsGdThroughTheLocalShardLoopWhereThereIsOne) {
    const Dataset data = testing::random_dataset(30, 4, 3, 2);
    const Layout layout = make_layout(4, {5}, 3);
    auto single = make_single_process_communicator();
    DataParallelBackend plain(make_cpu_backend(Precision::Double, layout), *single);
    EXPECT_EQ(plain.gradient_descent_loop(), nullptr);  // the CPU backend has none: the generic loop

    auto owned = std::make_unique<FakeShardBackend>(layout);
    FakeShardBackend& fake = *owned;
    DataParallelBackend parallel(std::move(owned), *single);
    // This process holds rows 10..19 of 30: the loop must divide by 30.
    parallel.set_training_shard(take_rows(data, {10, 10}), {10, 10}, 30);
    const Parameters theta = random_parameters(layout, 4);
    parallel.set_parameters(theta);
    std::atomic<bool> local_interrupt{false};
    parallel.watch_interrupt(&local_interrupt);
    ASSERT_NE(parallel.gradient_descent_loop(), nullptr);

    TrainingPlan plan;
    plan.gradient_descent = {7, 0.5};
    plan.lambda = 1.0;
    plan.interrupt = &parallel.agreed_interrupt();
    const TrainingOutcome outcome = run_training(parallel, plan);
    EXPECT_EQ(outcome.history, std::vector<double>(7, 1.25));
    EXPECT_FALSE(outcome.interrupted);
    EXPECT_EQ(fake.seen_total, 30);
    EXPECT_EQ(fake.seen_interrupt, &local_interrupt);
    // The regularisation of later sums uses the parameters the loop left, not those set before it.
    DataParallelBackend after(make_cpu_backend(Precision::Double, layout), *single);
    after.set_training_shard(take_rows(data, {10, 10}), {10, 10}, 30);
    after.set_parameters(fake.parameters());
    ASSERT_NE(fake.parameters().values, theta.values);
    Parameters expected, got;
    const double expected_cost = after.cost_and_gradient(2.0, &expected);
    EXPECT_TRUE(testing::within(parallel.cost_and_gradient(2.0, &got), expected_cost, testing::kDoubleTolerance));
    EXPECT_LE(testing::worst_error_ratio(got.values, expected.values, testing::kDoubleTolerance), 1.0);
}

// A stop agreed inside the loop is an interrupt for the trainer on every process: it stops there,
// and starts no further chunk (with --checkpoint-every) that the other processes would not join.
TEST(DataParallelBackend, AStopAgreedInTheShardLoopStopsTheTrainer) {
    const Layout layout = make_layout(4, {5}, 3);
    auto single = make_single_process_communicator();
    auto owned = std::make_unique<FakeShardBackend>(layout);
    owned->stop_after = 3;
    DataParallelBackend parallel(std::move(owned), *single);
    parallel.set_training_set(testing::random_dataset(12, 4, 3, 1));
    parallel.set_parameters(random_parameters(layout, 1));
    TrainingPlan plan;
    plan.gradient_descent = {20, 0.5};
    plan.checkpoint_every = 5;
    int checkpoints = 0;
    plan.on_checkpoint = [&](const Parameters&, int) { ++checkpoints; };
    plan.interrupt = &parallel.agreed_interrupt();
    const TrainingOutcome outcome = run_training(parallel, plan);
    EXPECT_EQ(outcome.history.size(), 3u);
    EXPECT_TRUE(outcome.interrupted);
    EXPECT_TRUE(parallel.agreed_interrupt().load());
    EXPECT_EQ(checkpoints, 0);
}

}  // namespace
}  // namespace digitnet
