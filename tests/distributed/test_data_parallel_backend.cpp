// The data-parallel backend's arithmetic on one process (no MPI needed, so it also runs under the
// sanitizers): the shard's sums, the division by m and the regularisation added once must give
// the local backend's own J and gradient, for the full batch and for mini-batches.
#include <gtest/gtest.h>

#include <numeric>

#include "digitnet/cpu/cpu_backend.hpp"
#include "digitnet/distributed/data_parallel_backend.hpp"
#include "test_util.hpp"
#include "tolerances.hpp"

namespace digitnet {
namespace {

TEST(DataParallelBackend, OneProcessGivesTheLocalBackendsCostAndGradient) {
    const Dataset data = testing::random_dataset(37, 6, 4, 3);
    for (const Output output : {Output::Sigmoid, Output::Softmax}) {
        const Layout layout = make_layout(6, {5, 3}, 4, Activation::Tanh, output);
        const Parameters theta = random_parameters(layout, 9);
        auto local = make_cpu_backend(Precision::Double, layout);
        local->set_training_set(data);
        local->set_parameters(theta);
        auto single = make_single_process_communicator();
        DataParallelBackend parallel(make_cpu_backend(Precision::Double, layout), *single);
        parallel.set_training_set(data);
        parallel.set_parameters(theta);
        EXPECT_EQ(parallel.examples(), 37);

        for (const double lambda : {0.0, 1.5}) {
            Parameters expected, got;
            const double expected_cost = local->cost_and_gradient(lambda, &expected);
            const double cost = parallel.cost_and_gradient(lambda, &got);
            EXPECT_TRUE(testing::within(cost, expected_cost, testing::kDoubleTolerance))
                << cost << " " << expected_cost;
            EXPECT_LE(testing::worst_error_ratio(got.values, expected.values, testing::kDoubleTolerance), 1.0);

            const std::vector<int> rows{3, 3, 0, 36, 17};
            const double expected_batch = local->cost_and_gradient_on(rows, lambda, &expected);
            const double batch = parallel.cost_and_gradient_on(rows, lambda, &got);
            EXPECT_TRUE(testing::within(batch, expected_batch, testing::kDoubleTolerance))
                << batch << " " << expected_batch;
            EXPECT_LE(testing::worst_error_ratio(got.values, expected.values, testing::kDoubleTolerance), 1.0);
        }
        EXPECT_EQ(parallel.allreduce_count(), 4);
    }
}

TEST(DataParallelBackend, AnInterruptIsSeenAtTheNextSum) {
    const Dataset data = testing::random_dataset(10, 3, 2, 1);
    const Layout layout = make_layout(3, {2}, 2);
    auto single = make_single_process_communicator();
    DataParallelBackend parallel(make_cpu_backend(Precision::Float, layout), *single);
    parallel.set_training_set(data);
    parallel.set_parameters(random_parameters(layout, 1));
    std::atomic<bool> local{false};
    parallel.watch_interrupt(&local);
    parallel.cost_and_gradient(1.0, nullptr);
    EXPECT_FALSE(parallel.agreed_interrupt().load());
    local = true;
    EXPECT_FALSE(parallel.agreed_interrupt().load());  // not before the next sum
    parallel.cost_and_gradient(1.0, nullptr);
    EXPECT_TRUE(parallel.agreed_interrupt().load());
}

}  // namespace
}  // namespace digitnet
