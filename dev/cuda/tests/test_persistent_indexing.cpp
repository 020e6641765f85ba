// The persistent kernel's own index math (dev/cuda/kernels/persistent_indexing.hpp), compiled for
// the host: parameter slices partition the parameters and their sums visit every block's share
// once, its shared memory fits the seed; and a host emulation of the kernel on the same functions
// (persistent_training_emulation.hpp) against the double reference. No GPU needed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "digitnet/model/cpu_reference.hpp"
#include "digitnet/model/layout.hpp"
#include "persistent_indexing.hpp"
#include "persistent_training_emulation.hpp"
#include "test_util.hpp"
#include "tolerances.hpp"

namespace digitnet::testing {
namespace {

using namespace digitnet::kernels;

TEST(PersistentIndexing, EveryParameterOwnedByExactlyOneSliceAndSummedOverEveryBlockOnce) {
    struct Shape {
        int n, H, K;
    };
    for (const Shape s : {Shape{401, 25, 10}, Shape{2, 1, 1}, Shape{21, 7, 3}, Shape{785, 32, 32}}) {
        const long long P = parameter_count(s.n, s.H, s.K);
        for (const int blocks : {1, 5, 132, 264, 10285, 20000}) {
            const std::string where = std::to_string(P) + " parameters, " + std::to_string(blocks) + " blocks";
            std::vector<int> owners(static_cast<std::size_t>(P), 0);
            long long smallest = P, largest = 0, expected_begin = 0;
            std::set<int> checked_groups;
            for (int b = 0; b < blocks; ++b) {
                const ParameterSlice slice = parameter_slice(b, blocks, P);
                ASSERT_EQ(slice.begin, expected_begin) << where;  // contiguous, in block order
                ASSERT_LE(slice.begin, slice.end) << where;
                expected_begin = slice.end;
                smallest = std::min(smallest, slice.end - slice.begin);
                largest = std::max(largest, slice.end - slice.begin);
                // The slice sum's threads: each parameter of the slice in exactly one (chunk, lane),
                // and each block's share in exactly one group's sequence.
                const SliceSumShape shape = slice_sum_shape(slice.end - slice.begin, kTileThreads);
                ASSERT_GE(shape.width, 1) << where;
                ASSERT_GE(shape.groups, 1) << where;
                ASSERT_LE(shape.width * shape.groups, kTileThreads) << where;
                for (long long base = slice.begin; base < slice.end; base += shape.width)
                    for (int lane = 0; lane < shape.width && base + lane < slice.end; ++lane)
                        ++owners[static_cast<std::size_t>(base + lane)];
                if (!checked_groups.insert(shape.groups).second) continue;  // the same sequences as before
                std::vector<int> visits(static_cast<std::size_t>(blocks), 0);
                for (int g = 0; g < shape.groups; ++g)
                    for (int other = g; other < blocks; other += shape.groups)
                        ++visits[static_cast<std::size_t>(other)];
                EXPECT_TRUE(std::all_of(visits.begin(), visits.end(), [](int v) { return v == 1; })) << where;
            }
            EXPECT_EQ(expected_begin, P) << where;
            EXPECT_TRUE(std::all_of(owners.begin(), owners.end(), [](int o) { return o == 1; })) << where;
            EXPECT_LE(largest - smallest, 1) << where;
        }
        // The bias parameters are column 0 of each Theta, as layout.hpp lays them out.
        const Layout layout = make_layout(s.n - 1, {s.H}, s.K);
        long long biases = 0;
        for (long long p = 0; p < P; ++p) {
            const bool bias = is_bias_parameter(p, s.n, s.H);
            biases += bias ? 1 : 0;
            const auto at = static_cast<std::size_t>(p);
            const int l = at < layout.theta_offset(2) ? 1 : 2;
            EXPECT_EQ(bias, (at - layout.theta_offset(l)) % static_cast<std::size_t>(layout.theta_cols(l)) == 0) << p;
        }
        EXPECT_EQ(biases, s.H + s.K);
    }
}

TEST(PersistentIndexing, SharedMemoryIsTheFusedKernelsAndItsSliceSums) {
    // The seed in float: 1 KiB more than the fused kernel's 108,032 bytes; two blocks still share an
    // SM's 228 KiB (each also takes 1 KiB that the system reserves). In double one block an SM.
    constexpr std::size_t kSharedPerSm = 228 * 1024, kReservedPerBlock = 1024;
    const std::size_t seed_float = persistent_shared_bytes(401, 25, 10, sizeof(float));
    EXPECT_EQ(seed_float, 108032u + 1024u);
    EXPECT_LE(seed_float, kMaxSharedBytesPerBlock);
    EXPECT_LE(2 * (seed_float + kReservedPerBlock), kSharedPerSm);
    const std::size_t seed_double = persistent_shared_bytes(401, 25, 10, sizeof(double));
    EXPECT_LE(seed_double, kMaxSharedBytesPerBlock);
    EXPECT_GT(2 * (seed_double + kReservedPerBlock), kSharedPerSm);
    for (const std::size_t element : {sizeof(float), sizeof(double)})
        for (const int H : {1, 7, 25, 32}) {
            const SharedLayout s = shared_layout(401, H, 10, padded_hidden(H), element);
            EXPECT_EQ(persistent_slice_sums(s), s.total);
            EXPECT_EQ(persistent_slice_sums(s) % 16, 0u);
            EXPECT_GE(persistent_shared_bytes(s, element) - s.total, std::size_t(kTileThreads) * element);
        }
    EXPECT_EQ(persistent_shared_bytes(401, 33, 10, sizeof(float)), 0u);  // refused by plan_shape
    EXPECT_GT(persistent_shared_bytes(1001, 25, 10, sizeof(float)), kMaxSharedBytesPerBlock);
}

// The emulated kernel against the reference: J and the gradient of one pass (no step), and then
// gradient descent step by step, on awkward sizes and device sizes.
template <class T>
void expect_emulation_matches_reference(int m, int inputs, int H, int K, int resident, int iterations) {
    const Dataset data = random_dataset(m, inputs, K, 17);
    const Layout layout = make_layout(inputs, {H}, K);
    const Parameters initial = random_parameters(layout, 3);
    const double lambda = 0.7, alpha = 0.5;
    const Tolerance tol = tolerance_for(std::is_same_v<T, float> ? Precision::Float : Precision::Double);
    const std::string where = std::to_string(m) + "x" + layout.describe() + " on " + std::to_string(resident) +
                              " blocks, " + (std::is_same_v<T, float> ? "float" : "double");

    Parameters expected_gradient;
    const double expected_cost = reference::cost_and_gradient(initial, data, lambda, &expected_gradient);
    const EmulatedTraining<T> pass = emulate_persistent_training<T>(data, initial, resident, 1, lambda, alpha, false);
    ASSERT_EQ(pass.history.size(), 1u);
    const double cost_ratio = worst_error_ratio(pass.history, std::vector<double>{expected_cost}, tol);
    const double gradient_ratio = worst_error_ratio(pass.grad, expected_gradient.values, tol);
    EXPECT_TRUE(std::equal(pass.theta.begin(), pass.theta.end(), initial.values.begin(),
                           [](T a, double b) { return a == static_cast<T>(b); }))
        << where << ": Theta moved without a step";

    Parameters theta = initial;
    std::vector<double> expected_history;
    for (int it = 0; it < iterations; ++it) {
        Parameters gradient;
        expected_history.push_back(reference::cost_and_gradient(theta, data, lambda, &gradient));
        for (std::size_t j = 0; j < theta.values.size(); ++j) theta.values[j] -= alpha * gradient.values[j];
    }
    const EmulatedTraining<T> run =
        emulate_persistent_training<T>(data, initial, resident, iterations, lambda, alpha, true);
    const double history_ratio = worst_error_ratio(run.history, expected_history, tol);
    const double theta_ratio = worst_error_ratio(run.theta, theta.values, tol);
    std::printf("  %s: worst error / tolerance: cost %.3g, gradient %.3g, history %.3g, parameters %.3g\n",
                where.c_str(), cost_ratio, gradient_ratio, history_ratio, theta_ratio);
    EXPECT_LE(cost_ratio, 1.0) << where;
    EXPECT_LE(gradient_ratio, 1.0) << where;
    EXPECT_LE(history_ratio, 1.0) << where;
    EXPECT_LE(theta_ratio, 1.0) << where;
}

TEST(PersistentTrainingEmulation, MatchesTheReferenceInDouble) {
    expect_emulation_matches_reference<double>(1, 3, 5, 3, 264, 3);
    expect_emulation_matches_reference<double>(31, 20, 7, 4, 7, 4);         // one block, tiles of 5
    expect_emulation_matches_reference<double>(77, 9, 32, 32, 1, 3);        // one block, three tiles
    expect_emulation_matches_reference<double>(4999, 12, 25, 10, 264, 3);   // 264 blocks of 19
    expect_emulation_matches_reference<double>(1000, 400, 25, 10, 132, 1);  // the seed's widths
}

TEST(PersistentTrainingEmulation, MatchesTheReferenceInFloat) {
    expect_emulation_matches_reference<float>(31, 20, 7, 4, 264, 3);
    expect_emulation_matches_reference<float>(2000, 400, 25, 10, 264, 2);
}

}  // namespace
}  // namespace digitnet::testing
