// NCCL on a lent GPU: a communicator of one process (NCCL refuses two processes on one GPU), and
// the data-parallel backend summing through it must give the GPU backend's own answer. Skipped
// without NCCL in the build or without a GPU. Prints the NCCL version found.
#include <gtest/gtest.h>

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

TEST(Nccl, OneProcessSumIsTheIdentity) {
    SKIP_WITHOUT_NCCL_AND_GPU();
    std::printf("NCCL %s on %s\n", nccl_version().c_str(), gpu_info()->name.c_str());
    auto single = make_single_process_communicator();
    auto nccl = make_nccl_communicator(*single);
    EXPECT_EQ(nccl->size(), 1);
    std::vector<double> values{1.5, -2.0, 3.25, 1e-300};
    const std::vector<double> expected = values;
    nccl->sum(values);
    EXPECT_EQ(values, expected);
}

TEST(Nccl, DataParallelThroughNcclGivesTheGpuBackendsAnswer) {
    SKIP_WITHOUT_NCCL_AND_GPU();
    const Dataset data = testing::random_dataset(301, 20, 5, 4);
    const Layout layout = make_layout(20, {16}, 5);
    const Parameters theta = random_parameters(layout, 2);
    auto single = make_single_process_communicator();
    auto nccl = make_nccl_communicator(*single);
    for (const Precision precision : {Precision::Float, Precision::Double}) {
        auto alone = make_cuda_backend(precision, layout);
        alone->set_training_set(data);
        alone->set_parameters(theta);
        DataParallelBackend parallel(make_cuda_backend(precision, layout), *nccl);
        parallel.set_training_set(data);
        parallel.set_parameters(theta);
        // One evaluation, then 20 gd steps on each (the GPU backend's own loop against the generic one).
        Parameters expected, got;
        const double expected_cost = alone->cost_and_gradient(1.0, &expected);
        const double cost = parallel.cost_and_gradient(1.0, &got);
        const testing::Tolerance tolerance = testing::tolerance_for(precision);
        EXPECT_TRUE(testing::within(cost, expected_cost, tolerance)) << cost << " " << expected_cost;
        EXPECT_LE(testing::worst_error_ratio(got.values, expected.values, tolerance), 1.0);
        TrainingPlan plan;
        plan.gradient_descent = {20, 0.8};
        const TrainingOutcome a = run_training(*alone, plan), b = run_training(parallel, plan);
        ASSERT_EQ(a.history.size(), b.history.size());
        const double ratio = testing::worst_error_ratio(b.history, a.history, tolerance);
        std::printf("%s: NCCL data-parallel against the GPU backend, cost history error ratio %.3g\n",
                    to_string(precision), ratio);
        EXPECT_LE(ratio, 1.0);
    }
}

}  // namespace
}  // namespace digitnet
