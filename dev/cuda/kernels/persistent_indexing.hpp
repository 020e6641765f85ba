#pragma once
// The index math only the persistent kernel (persistent_training.cu) needs, beside the tiles and
// shared memory it shares with the fused kernel (kernels/one_hidden_layer_indexing.hpp): which
// parameters a block owns in the update, how a block's threads sum them, and the scratch of the
// sums after the fused kernel's shared memory. Plain C++: the host emulation
// (tests/persistent_training_emulation.hpp) runs on the same functions.
#include <cstddef>

#include "one_hidden_layer_indexing.hpp"

namespace digitnet::kernels {

// ---- parameters: which block sums and updates which ----

DIGITNET_INDEX_MATH constexpr long long parameter_count(int n, int H, int K) {
    return static_cast<long long>(H) * n + static_cast<long long>(K) * (H + 1);
}

// Whether flat parameter p multiplies a bias unit (column 0 of Theta1 or of Theta2): it is not
// regularised.
DIGITNET_INDEX_MATH constexpr bool is_bias_parameter(long long p, int n, int H) {
    const long long first2 = static_cast<long long>(H) * n;
    return p < first2 ? p % n == 0 : (p - first2) % (H + 1) == 0;
}

// The parameters [begin, end) block b of `blocks` owns in the persistent kernel's update: P split
// into contiguous slices whose sizes differ by at most one (the first P % blocks get one more).
struct ParameterSlice {
    long long begin = 0;
    long long end = 0;
};
DIGITNET_INDEX_MATH constexpr ParameterSlice parameter_slice(int block, int blocks, long long count) {
    const long long base = count / blocks;
    const long long extra = count % blocks;
    const long long begin = block * base + (block < extra ? block : extra);
    return {begin, begin + base + (block < extra ? 1 : 0)};
}

// How a block's `threads` threads sum the blocks' shares of a slice of `slice` parameters: the
// slice goes in chunks of `width` consecutive parameters (thread t takes parameter t % width of
// the chunk); the threads form `groups` groups (group t / width; threads past width * groups
// idle); group g adds the shares of blocks g, g + groups, g + 2 groups, ... in that order, then
// the groups' sums are added in group order. A fixed order: the same bits on every run.
struct SliceSumShape {
    int width = 1;
    int groups = 1;
};
DIGITNET_INDEX_MATH constexpr SliceSumShape slice_sum_shape(long long slice, int threads) {
    const int width = slice < 1 ? 1 : slice > threads ? threads : static_cast<int>(slice);
    return {width, threads / width};
}

// A block of the persistent kernel: the fused kernel's shared memory (shared_layout), then
// slice_sums (kTileThreads elements), the groups' sums of a chunk of its slice.
DIGITNET_INDEX_MATH constexpr std::size_t persistent_slice_sums(const SharedLayout& layout) { return layout.total; }
DIGITNET_INDEX_MATH constexpr std::size_t persistent_shared_bytes(const SharedLayout& layout, std::size_t element) {
    return persistent_slice_sums(layout) + round16(static_cast<std::size_t>(kTileThreads) * element);
}
// The same from the shape's plan (0 where plan_shape refuses the shape).
DIGITNET_INDEX_MATH constexpr std::size_t persistent_shared_bytes(int n, int H, int K, std::size_t element) {
    const ShapePlan plan = plan_shape(n, H, K, element);
    if (plan.reason != nullptr) return 0;
    return persistent_shared_bytes(shared_layout(n, H, K, plan.hidden_padded, element), element);
}

}  // namespace digitnet::kernels
