// gd of a data-parallel shard inside the CUDA backend's graph, summed by NCCL (cuda/shard_sum.hpp),
// on a lent GPU with one process (NCCL refuses two processes on one GPU): it must give the GPU
// run without NCCL, on the fused and the general path, and the step-by-step path's answer; and a
// local interrupt must stop it at an iteration every process agrees on. Skipped without NCCL in
// the build or without a GPU.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <ostream>

#include "digitnet/cuda/cuda_backend.hpp"
#include "digitnet/distributed/data_parallel_backend.hpp"
#include "digitnet/distributed/mpi_session.hpp"
#include "digitnet/distributed/nccl_communicator.hpp"
#include "digitnet/train/trainer.hpp"
#include "test_util.hpp"
#include "tolerances.hpp"

namespace digitnet {
namespace {

#define SKIP_WITHOUT_NCCL_AND_GPU()                                    \
    if (!nccl_compiled_in()) GTEST_SKIP() << "this build has no NCCL"; \
    if (!gpu_info()) GTEST_SKIP() << "no GPU"

struct Case {
    const char* name;
    Precision precision;
    OneHiddenLayerPath path;
    std::vector<int> hidden;
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) { return info.param.name; }
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }  // ctest's names: the case, not its bytes

// 150 iterations: chunks of 32, 32, then sizes agreed through the sum; 8-iteration graphs and single ones.
TrainingPlan gd_plan(int iterations) {
    TrainingPlan plan;
    plan.gradient_descent = {iterations, 0.8};
    plan.lambda = 1.0;
    return plan;
}

class NcclGraphLoop : public ::testing::TestWithParam<Case> {
protected:
    void SetUp() override {
        SKIP_WITHOUT_NCCL_AND_GPU();
        single_ = make_single_process_communicator();
        nccl_ = make_nccl_communicator(*single_);
    }
    // A data-parallel backend over the GPU backend, with NCCL as its DeviceSum or without.
    std::unique_ptr<DataParallelBackend> parallel(bool device_sum, const Dataset& data, const Parameters& theta) {
        const Case& c = GetParam();
        CudaOptions options;
        options.one_hidden_layer = c.path;
        if (device_sum) options.device_sum = nccl_.get();
        auto backend =
            std::make_unique<DataParallelBackend>(make_cuda_backend(c.precision, theta.layout, options), *nccl_);
        backend->set_training_set(data);
        backend->set_parameters(theta);
        return backend;
    }

    std::unique_ptr<Communicator> single_;
    std::unique_ptr<NcclCommunicator> nccl_;
};

TEST_P(NcclGraphLoop, OneProcessGivesTheGpuRunWithoutNccl) {
    const Case& c = GetParam();
    const Dataset data = testing::random_dataset(301, 20, 5, 4);
    const Layout layout = make_layout(20, c.hidden, 5);
    const Parameters theta = random_parameters(layout, 2);
    CudaOptions options;
    options.one_hidden_layer = c.path;
    auto alone = make_cuda_backend(c.precision, layout, options);
    alone->set_training_set(data);
    alone->set_parameters(theta);
    auto shard = parallel(true, data, theta);
    ASSERT_NE(shard->gradient_descent_loop(), nullptr);  // the loop in the graph, not the generic one
    EXPECT_TRUE(shard->device_report().has_note(cuda_report::kSummedInsideTheGraph)) << shard->device_name();

    const TrainingOutcome expected = run_training(*alone, gd_plan(150)), got = run_training(*shard, gd_plan(150));
    ASSERT_EQ(got.history.size(), expected.history.size());
    const testing::Tolerance tolerance = testing::data_parallel_tolerance(c.precision);
    const double history_ratio = testing::worst_error_ratio(got.history, expected.history, tolerance);
    const double weights_ratio =
        testing::worst_error_ratio(shard->parameters().values, alone->parameters().values, tolerance);
    const double final_cost = shard->cost_and_gradient(1.0, nullptr);
    std::printf("%s: NCCL in the graph against the GPU alone: history %.3g, weights %.3g of the tolerance\n", c.name,
                history_ratio, weights_ratio);
    EXPECT_LE(history_ratio, 1.0);
    EXPECT_LE(weights_ratio, 1.0);
    EXPECT_TRUE(testing::within(final_cost, alone->cost_and_gradient(1.0, nullptr), tolerance));
}

// The iteration in the graph (device update after the sum) against the generic loop over the
// host-staged sums (update in double on the host, parameters uploaded each step).
TEST_P(NcclGraphLoop, EqualsTheStepByStepPath) {
    const Case& c = GetParam();
    const Dataset data = testing::random_dataset(97, 12, 4, 8);
    const Layout layout = make_layout(12, c.hidden, 4);
    const Parameters theta = random_parameters(layout, 5);
    auto graph = parallel(true, data, theta);
    auto step_by_step = parallel(false, data, theta);
    ASSERT_EQ(step_by_step->gradient_descent_loop(), nullptr);
    const TrainingOutcome a = run_training(*graph, gd_plan(40)), b = run_training(*step_by_step, gd_plan(40));
    ASSERT_EQ(a.history.size(), b.history.size());
    const testing::Tolerance tolerance = testing::tolerance_for(c.precision);
    const double history_ratio = testing::worst_error_ratio(a.history, b.history, tolerance);
    const double weights_ratio =
        testing::worst_error_ratio(graph->parameters().values, step_by_step->parameters().values, tolerance);
    std::printf("%s: graph against step by step: history %.3g, weights %.3g of the tolerance\n", c.name, history_ratio,
                weights_ratio);
    EXPECT_LE(history_ratio, 1.0);
    EXPECT_LE(weights_ratio, 1.0);
}

// This process's interrupt goes into the sum with the first iteration; the loop reads the sum back
// after the first chunk, by which time the second is queued: both run (32 + 32 iterations), then
// it stops, and the trainer reports an interrupt.
TEST_P(NcclGraphLoop, ALocalInterruptStopsAtTheAgreedIteration) {
    const Case& c = GetParam();
    const Dataset data = testing::random_dataset(64, 10, 3, 3);
    const Layout layout = make_layout(10, c.hidden, 3);
    const Parameters theta = random_parameters(layout, 6);
    auto shard = parallel(true, data, theta);
    std::atomic<bool> local_interrupt{true};
    shard->watch_interrupt(&local_interrupt);
    TrainingPlan plan = gd_plan(100000);
    plan.interrupt = &shard->agreed_interrupt();
    const TrainingOutcome stopped = run_training(*shard, plan);
    EXPECT_EQ(stopped.history.size(), 64u);
    EXPECT_TRUE(stopped.interrupted);
    EXPECT_TRUE(shard->agreed_interrupt().load());

    // The iterations that ran are the ones an uninterrupted run does first.
    auto full = parallel(true, data, theta);
    const TrainingOutcome expected = run_training(*full, gd_plan(64));
    EXPECT_LE(
        testing::worst_error_ratio(stopped.history, expected.history, testing::data_parallel_tolerance(c.precision)),
        1.0);
}

INSTANTIATE_TEST_SUITE_P(
    Paths, NcclGraphLoop,
    ::testing::Values(Case{"float_fused", Precision::Float, OneHiddenLayerPath::Fused, {16}},
                      Case{"float_general", Precision::Float, OneHiddenLayerPath::General, {16}},
                      Case{"double_fused", Precision::Double, OneHiddenLayerPath::Fused, {16}},
                      Case{"double_general", Precision::Double, OneHiddenLayerPath::General, {16}},
                      Case{"float_two_hidden", Precision::Float, OneHiddenLayerPath::Automatic, {9, 7}},
                      Case{"bf16_general", Precision::Bf16, OneHiddenLayerPath::Automatic, {16}}),
    case_name);

}  // namespace
}  // namespace digitnet
