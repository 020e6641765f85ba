// The persistent training kernel (kernels/persistent_training.cu) launched directly, against its
// host emulation (tests/model/persistent_training_emulation.hpp: the same decomposition and order)
// and the reference, in float and double: J of each iteration, the gradient and Theta after a few
// steps, every scratch entry written (poisoned with NaN first). Compiled only in CUDA builds; skips
// without a GPU.
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "digitnet/model/cpu_reference.hpp"
#include "kernel_test_fixture.hpp"
#include "persistent_training.cuh"
#include "persistent_training_emulation.hpp"
#include "test_util.hpp"

namespace digitnet::testing {
namespace {

TYPED_TEST_SUITE(CudaKernels, KernelPrecisions);

TYPED_TEST(CudaKernels, PersistentTrainingAgainstItsEmulation) {
    using T = TypeParam;
    struct Case {
        int m, inputs, hidden, classes, iterations;
    };
    for (const Case c :
         {Case{1, 3, 5, 3, 2}, Case{77, 20, 7, 3, 3}, Case{1000, 400, 25, 10, 3}, Case{64, 9, 32, 32, 2}}) {
        const int n = c.inputs + 1;
        const Layout layout = make_layout(c.inputs, {c.hidden}, c.classes);
        const kernels::PersistentTrainingPlan plan = kernels::plan_persistent_training<T>(n, c.hidden, c.classes);
        ASSERT_TRUE(plan.usable()) << plan.unavailable;
        const Dataset data = random_dataset(c.m, c.inputs, c.classes, 4);
        const Parameters initial = random_parameters(layout, 2);
        const double lambda = 0.6, alpha = 0.7;
        const EmulatedTraining<T> expected = emulate_persistent_training<T>(data, initial, plan.tiles.resident_blocks,
                                                                            c.iterations, lambda, alpha, true);

        std::vector<T> a0(std::size_t(c.m) * n), Y(std::size_t(c.m) * c.classes, T(0));
        for (int r = 0; r < c.m; ++r) {
            a0[std::size_t(r) * n] = T(1);
            for (int k = 1; k < n; ++k) a0[std::size_t(r) * n + k] = static_cast<T>(data.X(r, k - 1));
            Y[std::size_t(r) * c.classes + data.labels[std::size_t(r)]] = T(1);
        }
        const auto da0 = this->upload(a0);
        const auto dY = this->upload(Y);
        auto dtheta = this->upload(std::vector<T>(initial.values.begin(), initial.values.end()));
        const std::size_t resident = static_cast<std::size_t>(plan.tiles.resident_blocks);
        auto dgrad = this->upload(std::vector<T>(initial.values.size(), std::numeric_limits<T>::quiet_NaN()));
        auto partials = this->upload(std::vector<T>(plan.partial_count(), std::numeric_limits<T>::quiet_NaN()));
        auto costs = this->upload(std::vector<double>(resident, std::numeric_limits<double>::quiet_NaN()));
        auto squares = this->upload(std::vector<double>(resident, std::numeric_limits<double>::quiet_NaN()));
        auto history = this->upload(std::vector<double>(std::size_t(c.iterations) + 1, -1.0));
        auto iteration = this->upload(std::vector<int>{1});  // writes from history[1] on

        kernels::PersistentTrainingRun<T> run;
        run.m = c.m;
        run.a0 = da0.data();
        run.Y = dY.data();
        run.theta = dtheta.data();
        run.grad = dgrad.data();
        run.partials = partials.data();
        run.cost_partials = costs.data();
        run.square_partials = squares.data();
        run.history = history.data();
        run.iteration = iteration.data();
        run.iterations = c.iterations;
        run.lambda = lambda;
        run.alpha = alpha;
        run.step = true;
        kernels::persistent_training(plan, run, this->stream_);

        const std::string name = std::to_string(c.m) + "x" + layout.describe() + " (" +
                                 std::to_string(plan.tiles.blocks(c.m)) + " blocks of " +
                                 std::to_string(plan.tiles.tile_rows(c.m)) + " rows)";
        const std::vector<double> got_history = this->download(history);
        EXPECT_EQ(got_history[0], -1.0) << name << ": wrote before its first entry";
        EXPECT_EQ(this->download(iteration)[0], c.iterations + 1) << name;
        this->expect_close(std::vector<double>(got_history.begin() + 1, got_history.end()), expected.history,
                           name + " history");
        this->expect_close(this->download(dgrad), expected.grad, name + " last gradient");
        this->expect_close(this->download(dtheta), expected.theta, name + " parameters");

        // And the first iteration's J against the reference itself.
        const double reference_cost = reference::cost_and_gradient(initial, data, lambda, nullptr);
        this->expect_close(std::vector<double>{got_history[1]}, std::vector<double>{reference_cost},
                           name + " first J against the reference");
    }
}

}  // namespace
}  // namespace digitnet::testing
