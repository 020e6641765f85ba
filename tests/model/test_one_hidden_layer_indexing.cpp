// The index math of the one-hidden-layer kernels (kernels/one_hidden_layer_indexing.hpp), compiled
// for the host: tiles cover every example once and are balanced over the blocks, parameter slices
// partition the parameters and their sums visit every block's share once, the shared-memory plan
// fits the seed and refuses what does not fit; and a host emulation of the persistent training
// kernel on the same functions (persistent_training_emulation.hpp) against the double reference.
// No GPU needed: label model, run in CI.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "digitnet/model/cpu_reference.hpp"
#include "digitnet/model/layout.hpp"
#include "model/persistent_training_emulation.hpp"
#include "one_hidden_layer_indexing.hpp"
#include "test_util.hpp"
#include "tolerances.hpp"

namespace digitnet::testing {
namespace {

using namespace digitnet::kernels;

constexpr int kAwkwardM[] = {1, 31, 4999, 5000, 60000};
// 264: an H100's or H200's 132 SMs with two blocks each (the seed in float); 132: one each (double).
constexpr int kResident[] = {1, 7, 132, 264, 1000};

TEST(OneHiddenLayerIndexing, EveryExampleInExactlyOneTileAndTilesBalancedOverBlocks) {
    for (const int m : kAwkwardM) {
        for (const int resident : kResident) {
            const std::string where = "m " + std::to_string(m) + ", " + std::to_string(resident) + " resident blocks";
            const int rows = tile_rows(m, resident);
            const int tiles = tile_count(m, rows);
            const int blocks = grid_blocks(m, resident);
            ASSERT_GE(rows, 1) << where;
            ASSERT_LE(rows, kTileRows) << where;
            ASSERT_GE(blocks, 1) << where;
            ASSERT_LE(blocks, resident) << where;
            ASSERT_LE(blocks, tiles) << where;  // no block without a tile
            std::vector<int> seen(static_cast<std::size_t>(m), 0);
            int fewest_tiles = tiles, most_tiles = 0, fewest_rows = m, most_rows = 0;
            for (int b = 0; b < blocks; ++b) {
                int count = 0, examples = 0;
                for (int i = 0; tile_of_block(b, blocks, i) < tiles; ++i, ++count) {
                    const ExampleRange range = tile_examples(tile_of_block(b, blocks, i), rows, m);
                    ASSERT_LT(range.begin, range.end) << where;
                    ASSERT_LE(range.end - range.begin, rows) << where;
                    for (int r = range.begin; r < range.end; ++r) ++seen[static_cast<std::size_t>(r)];
                    examples += range.end - range.begin;
                }
                EXPECT_EQ(count, tiles_of_block(b, blocks, tiles)) << where;
                fewest_tiles = std::min(fewest_tiles, count);
                most_tiles = std::max(most_tiles, count);
                fewest_rows = std::min(fewest_rows, examples);
                most_rows = std::max(most_rows, examples);
            }
            EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int s) { return s == 1; })) << where;
            EXPECT_LE(most_tiles - fewest_tiles, 1) << where;
            EXPECT_LE(most_rows - fewest_rows, rows) << where;
            // As many blocks as the device holds whenever there are enough examples for them.
            if (m >= resident) {
                EXPECT_EQ(blocks, resident) << where;
            }
        }
    }
    // The seed on an H100 (bench/RESULTS.md, "Balanced tiles"): 264 blocks of 19 examples.
    EXPECT_EQ(tile_rows(5000, 264), 19);
    EXPECT_EQ(grid_blocks(5000, 264), 264);
}

TEST(OneHiddenLayerIndexing, EveryParameterOwnedByExactlyOneSliceAndSummedOverEveryBlockOnce) {
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

TEST(OneHiddenLayerIndexing, SharedMemoryPlanFitsTheSeedAndRefusesWhatDoesNotFit) {
    // The seed in float: the fused kernel's 108,032 bytes (bench/RESULTS.md: "108 KB each"), the
    // persistent kernel's 1 KiB more; two blocks share an SM's 228 KiB (each also takes 1 KiB that the
    // system reserves). In double one block a multiprocessor.
    constexpr std::size_t kSharedPerSm = 228 * 1024, kReservedPerBlock = 1024;
    const ShapePlan seed_float = plan_shape(401, 25, 10, sizeof(float));
    ASSERT_EQ(seed_float.reason, nullptr);
    EXPECT_EQ(seed_float.hidden_padded, 28);
    EXPECT_EQ(seed_float.fused_bytes, 108032u);
    EXPECT_EQ(seed_float.persistent_bytes, 108032u + 1024u);
    EXPECT_TRUE(seed_float.fits(seed_float.persistent_bytes, kMaxSharedBytesPerBlock));
    EXPECT_LE(2 * (seed_float.persistent_bytes + kReservedPerBlock), kSharedPerSm);
    const ShapePlan seed_double = plan_shape(401, 25, 10, sizeof(double));
    EXPECT_TRUE(seed_double.fits(seed_double.persistent_bytes, kMaxSharedBytesPerBlock));
    EXPECT_GT(2 * (seed_double.persistent_bytes + kReservedPerBlock), kSharedPerSm);
    std::printf("  seed shared memory a block: float fused %zu, persistent %zu; double fused %zu, persistent %zu\n",
                seed_float.fused_bytes, seed_float.persistent_bytes, seed_double.fused_bytes,
                seed_double.persistent_bytes);

    // Pieces in order, 16-byte aligned, each large enough, within the total.
    for (const std::size_t element : {sizeof(float), sizeof(double)}) {
        for (const int H : {1, 7, 25, 32}) {
            const int n = 401, K = 10, HP = padded_hidden(H);
            const SharedLayout s = shared_layout(n, H, K, HP, element);
            const std::size_t starts[] = {s.theta1T,         s.x, s.d1, s.a1, s.d2, s.theta2, s.cost, s.slice_sums,
                                          s.persistent_total};
            for (std::size_t i = 0; i + 1 < std::size(starts); ++i) {
                EXPECT_EQ(starts[i] % 16, 0u);
                EXPECT_LT(starts[i], starts[i + 1]);
            }
            EXPECT_GE(s.x - s.theta1T, std::size_t(n) * HP * element);                // Theta1^T
            EXPECT_GE(s.x - s.theta1T, std::size_t(kTileWarps) * HP * 32 * element);  // the warps' sums
            EXPECT_GE(s.d1 - s.x, std::size_t(kTileRows) * std::size_t(s.x_stride) * element);
            EXPECT_EQ(s.x_stride % 2, 1);
            EXPECT_GE(s.persistent_total - s.slice_sums, std::size_t(kTileThreads) * element);
            EXPECT_EQ(s.slice_sums, s.total);
        }
    }

    // Refused cleanly: too many hidden units or classes (no kernel instance), too wide an input
    // for the shared memory (a 1000-pixel tile and Theta1 do not fit 227 KiB).
    EXPECT_NE(plan_shape(401, 33, 10, sizeof(float)).reason, nullptr);
    EXPECT_NE(plan_shape(401, 25, 33, sizeof(float)).reason, nullptr);
    EXPECT_NE(plan_shape(0, 25, 10, sizeof(float)).reason, nullptr);
    const ShapePlan wide = plan_shape(1001, 25, 10, sizeof(float));
    EXPECT_EQ(wide.reason, nullptr);
    EXPECT_FALSE(wide.fits(wide.persistent_bytes, kMaxSharedBytesPerBlock));
    const ShapePlan wide_double = plan_shape(600, 25, 10, sizeof(double));
    EXPECT_FALSE(wide_double.fits(wide_double.persistent_bytes, kMaxSharedBytesPerBlock));
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
