// The index math of the one-hidden-layer kernels (kernels/one_hidden_layer_indexing.hpp), compiled
// for the host: tiles cover every example once and are balanced over the blocks, and the
// shared-memory plan fits the seed and refuses what does not fit. No GPU needed: label model.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "one_hidden_layer_indexing.hpp"
#include "test_util.hpp"

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
    // The seed on an H100 (bench/log/2026-11-24-gpu-h100.md, "Balanced tiles"): 264 blocks of 19 examples.
    EXPECT_EQ(tile_rows(5000, 264), 19);
    EXPECT_EQ(grid_blocks(5000, 264), 264);
}

TEST(OneHiddenLayerIndexing, SharedMemoryPlanFitsTheSeedAndRefusesWhatDoesNotFit) {
    // The seed in float: the fused kernel's 108,032 bytes (bench/log/2026-11-24-gpu-h100.md: "108 KB each"); two
    // blocks share an SM's 228 KiB (each also takes 1 KiB that the system reserves). In double one
    // block a multiprocessor.
    constexpr std::size_t kSharedPerSm = 228 * 1024, kReservedPerBlock = 1024;
    const ShapePlan seed_float = plan_shape(401, 25, 10, sizeof(float));
    ASSERT_EQ(seed_float.reason, nullptr);
    EXPECT_EQ(seed_float.hidden_padded, 28);
    EXPECT_EQ(seed_float.fused_bytes, 108032u);
    EXPECT_TRUE(seed_float.fits(seed_float.fused_bytes, kMaxSharedBytesPerBlock));
    EXPECT_LE(2 * (seed_float.fused_bytes + kReservedPerBlock), kSharedPerSm);
    const ShapePlan seed_double = plan_shape(401, 25, 10, sizeof(double));
    EXPECT_TRUE(seed_double.fits(seed_double.fused_bytes, kMaxSharedBytesPerBlock));
    EXPECT_GT(2 * (seed_double.fused_bytes + kReservedPerBlock), kSharedPerSm);
    std::printf("  seed shared memory a block: float fused %zu; double fused %zu\n", seed_float.fused_bytes,
                seed_double.fused_bytes);

    // Pieces in order, 16-byte aligned, each large enough, within the total.
    for (const std::size_t element : {sizeof(float), sizeof(double)}) {
        for (const int H : {1, 7, 25, 32}) {
            const int n = 401, K = 10, HP = padded_hidden(H);
            const SharedLayout s = shared_layout(n, H, K, HP, element);
            const std::size_t starts[] = {s.theta1T, s.x, s.d1, s.a1, s.d2, s.theta2, s.cost, s.total};
            for (std::size_t i = 0; i + 1 < std::size(starts); ++i) {
                EXPECT_EQ(starts[i] % 16, 0u);
                EXPECT_LT(starts[i], starts[i + 1]);
            }
            EXPECT_GE(s.x - s.theta1T, std::size_t(n) * HP * element);                // Theta1^T
            EXPECT_GE(s.x - s.theta1T, std::size_t(kTileWarps) * HP * 32 * element);  // the warps' sums
            EXPECT_GE(s.d1 - s.x, std::size_t(kTileRows) * std::size_t(s.x_stride) * element);
            EXPECT_EQ(s.x_stride % 2, 1);
        }
    }

    // Refused cleanly: too many hidden units or classes (no kernel instance), too wide an input
    // for the shared memory (a 1000-pixel tile and Theta1 do not fit 227 KiB).
    EXPECT_NE(plan_shape(401, 33, 10, sizeof(float)).reason, nullptr);
    EXPECT_NE(plan_shape(401, 25, 33, sizeof(float)).reason, nullptr);
    EXPECT_NE(plan_shape(0, 25, 10, sizeof(float)).reason, nullptr);
    const ShapePlan wide = plan_shape(1001, 25, 10, sizeof(float));
    EXPECT_EQ(wide.reason, nullptr);
    EXPECT_FALSE(wide.fits(wide.fused_bytes, kMaxSharedBytesPerBlock));
    const ShapePlan wide_double = plan_shape(600, 25, 10, sizeof(double));
    EXPECT_FALSE(wide_double.fits(wide_double.fused_bytes, kMaxSharedBytesPerBlock));
}

}  // namespace
}  // namespace digitnet::testing
