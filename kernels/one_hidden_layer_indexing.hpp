#pragma once
// The index math of the one-hidden-layer kernels (one_hidden_layer_gradient.cu, the fused pass; the
// experimental persistent kernel of dev/cuda/ builds on it), written once for the kernels and for
// the host: which examples a tile holds, which tiles a block takes, and where each piece of a
// block's shared memory starts. Plain C++ (constexpr, __host__ __device__ under nvcc):
// tests/model/test_one_hidden_layer_indexing.cpp checks it without a GPU.
//
// Notation (DESIGN.md): m examples, n = s0 + 1 inputs with the bias unit, H = s1 hidden units,
// K = s2 classes, P = H n + K (H + 1) parameters, flat: Theta1 (H, n) row-major, then Theta2
// (K, H + 1) row-major.
#include <cstddef>

#if defined(__CUDACC__)
#define DIGITNET_INDEX_MATH __host__ __device__
#else
#define DIGITNET_INDEX_MATH
#endif

namespace digitnet::kernels {

inline constexpr int kTileRows = 32;  // the most examples a tile holds: one per lane
inline constexpr int kTileWarps = 8;  // warps of a block
inline constexpr int kTileThreads = kTileWarps * 32;
inline constexpr int kOneHiddenLayerMaxHidden = 32;   // H: the register tile of the hidden units
inline constexpr int kOneHiddenLayerMaxClasses = 32;  // K
// The most dynamic shared memory one block may ask for on sm_80 and sm_90 (the opt-in limit,
// cudaDevAttrMaxSharedMemoryPerBlockOptin: 227 KiB on an H100); the host plans use the device's own.
inline constexpr std::size_t kMaxSharedBytesPerBlock = 227 * 1024;

// ---- tiles: which examples, which block ----

DIGITNET_INDEX_MATH constexpr long long ceil_div(long long a, long long b) { return (a + b - 1) / b; }

// Examples a tile holds: m shared evenly by the blocks the device holds at once, at least 1 and at
// most kTileRows, so that every SM gets the same work (5000 examples on 264 resident blocks: 19).
DIGITNET_INDEX_MATH constexpr int tile_rows(int m, int resident_blocks) {
    if (resident_blocks <= 0) return kTileRows;
    const long long share = ceil_div(m, resident_blocks);
    return static_cast<int>(share < 1 ? 1 : share > kTileRows ? kTileRows : share);
}

// Tiles of `rows` examples that cover m examples (the last one may be partial).
DIGITNET_INDEX_MATH constexpr int tile_count(int m, int rows) {
    return m <= 0 ? 0 : static_cast<int>(ceil_div(m, rows));
}

// Blocks of a launch over m examples: one per tile, at most resident_blocks. Block b takes tiles
// b, b + blocks, b + 2 blocks, ... (tile_of_block), so the tiles per block differ by at most one.
DIGITNET_INDEX_MATH constexpr int grid_blocks(int m, int resident_blocks) {
    const int tiles = tile_count(m, tile_rows(m, resident_blocks));
    return tiles < resident_blocks ? tiles : resident_blocks;
}

// The i-th tile of block b (i = 0, 1, ... while it is < tile_count).
DIGITNET_INDEX_MATH constexpr int tile_of_block(int block, int blocks, int i) { return block + i * blocks; }

// Tiles block b takes.
DIGITNET_INDEX_MATH constexpr int tiles_of_block(int block, int blocks, int tiles) {
    return block >= tiles ? 0 : static_cast<int>(ceil_div(tiles - block, blocks));
}

// The examples [begin, end) of tile t.
struct ExampleRange {
    int begin = 0;
    int end = 0;
};
DIGITNET_INDEX_MATH constexpr ExampleRange tile_examples(int tile, int rows, int m) {
    const long long begin = static_cast<long long>(tile) * rows;
    const long long end = begin + rows < m ? begin + rows : m;
    return {static_cast<int>(begin < m ? begin : m), static_cast<int>(end)};
}

// ---- shared memory of a block ----

DIGITNET_INDEX_MATH constexpr std::size_t round16(std::size_t bytes) { return (bytes + 15) / 16 * 16; }

// H rounded up to a multiple of 4: the register tile width of the hidden units.
DIGITNET_INDEX_MATH constexpr int padded_hidden(int H) { return (H + 3) / 4 * 4; }

// The block's shared memory, in bytes from its start; each piece starts 16-byte aligned.
//   theta1T  (n, HP)       Theta1 transposed, hidden units j >= H zero; after the forward product,
//                          the warps' partial sums (kTileWarps, HP, 32) (Theta1 is staged again
//                          for the next tile)
//   x        (32, xs)      the tile's rows of a0 (xs = n rounded up to odd: conflict-free columns)
//   d1       (32, HP)      d1 of the tile, zero for j >= H and for rows past the tile
//   a1       (32, H+1)     a1 = [1, sigmoid(z1)]
//   d2       (32, K)       d2 = h - y, zero for rows past the tile
//   theta2   (K, H+1)
//   cost     (32, K)       the output cost terms, in double
//   total                  the fused kernel's size
struct SharedLayout {
    std::size_t theta1T = 0, x = 0, d1 = 0, a1 = 0, d2 = 0, theta2 = 0, cost = 0, total = 0;
    int x_stride = 0;
};
DIGITNET_INDEX_MATH constexpr SharedLayout shared_layout(int n, int H, int K, int HP, std::size_t element) {
    SharedLayout s;
    s.x_stride = n | 1;
    const std::size_t theta_elements = static_cast<std::size_t>(n) * HP;
    const std::size_t sum_elements = static_cast<std::size_t>(kTileWarps) * HP * 32;
    s.theta1T = 0;
    s.x = s.theta1T + round16((theta_elements > sum_elements ? theta_elements : sum_elements) * element);
    s.d1 = s.x + round16(static_cast<std::size_t>(kTileRows) * s.x_stride * element);
    s.a1 = s.d1 + round16(static_cast<std::size_t>(kTileRows) * HP * element);
    s.d2 = s.a1 + round16(static_cast<std::size_t>(kTileRows) * (H + 1) * element);
    s.theta2 = s.d2 + round16(static_cast<std::size_t>(kTileRows) * K * element);
    s.cost = s.theta2 + round16(static_cast<std::size_t>(K) * (H + 1) * element);
    s.total = s.cost + round16(static_cast<std::size_t>(kTileRows) * K * sizeof(double));
    return s;
}

// Whether the one-hidden-layer kernels take a shape at all (reason is null when they do, else what
// is wrong, a constant string for the host's message), and the shared memory a block of the fused
// kernel needs; whether that fits is the device's to say (fits(), with its opt-in limit).
struct ShapePlan {
    int hidden_padded = 0;
    std::size_t fused_bytes = 0;  // a block of the fused kernel
    const char* reason = nullptr;
    DIGITNET_INDEX_MATH constexpr bool fits(std::size_t bytes, std::size_t shared_limit) const {
        return reason == nullptr && bytes <= shared_limit;
    }
};
DIGITNET_INDEX_MATH constexpr ShapePlan plan_shape(int n, int H, int K, std::size_t element) {
    ShapePlan plan;
    if (n < 1 || H < 1 || K < 1) {
        plan.reason = "a layer has no units";
        return plan;
    }
    if (H > kOneHiddenLayerMaxHidden) {
        plan.reason = "more than 32 hidden units";
        return plan;
    }
    if (K > kOneHiddenLayerMaxClasses) {
        plan.reason = "more than 32 classes";
        return plan;
    }
    plan.hidden_padded = padded_hidden(H);
    const SharedLayout layout = shared_layout(n, H, K, plan.hidden_padded, element);
    plan.fused_bytes = layout.total;
    return plan;
}

}  // namespace digitnet::kernels
