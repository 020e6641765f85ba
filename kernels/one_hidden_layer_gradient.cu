// Kernels and launchers for one_hidden_layer_gradient.cuh.
#include <algorithm>
#include <string>
#include <type_traits>
#include <utility>

#include "cuda_check.hpp"
#include "one_hidden_layer_gradient.cuh"
#include "one_hidden_layer_tile.cuh"

namespace digitnet::kernels {

namespace {

constexpr int kThreads = tile::kThreads;

// ---- kernels ----

// One block, tiles t = blockIdx.x, blockIdx.x + gridDim.x, ... of tile_rows <= 32 examples
// (tile_of_block, tile_examples in one_hidden_layer_indexing.hpp), each through
// tile::one_hidden_layer_tile (one_hidden_layer_tile.cuh, which writes the math out). The block's
// shares accumulate in partials[blockIdx.x P ...] tile after tile (its own entries only: no
// atomics), its cost in cost_partials[blockIdx.x].
template <class T, int HP>
__global__ void __launch_bounds__(kThreads)
    one_hidden_layer_gradient_kernel(int m, int tile_rows, int n, int H, int K, const T* __restrict__ a0,
                                     const T* __restrict__ Y, const T* __restrict__ theta, T* __restrict__ partials,
                                     double* __restrict__ cost_partials) {
    extern __shared__ __align__(16) unsigned char shared[];
    const tile::TileShared<T> s = tile::tile_shared<T>(shared, shared_layout(n, H, K, HP, sizeof(T)));
    const std::size_t P1 = std::size_t(H) * n;
    const std::size_t P = P1 + std::size_t(K) * (H + 1);
    tile::stage_theta2(s, theta + P1, K * (H + 1));
    double block_cost = 0.0;  // lane 0 of warp 0 only
    // tile_of_block's order (one_hidden_layer_indexing.hpp), written as the plain loop it is.
    bool first_tile = true;
    for (int t = blockIdx.x; static_cast<long long>(t) * tile_rows < m; t += static_cast<int>(gridDim.x)) {
        const int row0 = t * tile_rows;
        tile::one_hidden_layer_tile<T, HP>(s, row0, min(tile_rows, m - row0), n, H, K, a0, Y, theta,
                                           partials + blockIdx.x * P, first_tile, block_cost);
        first_tile = false;
    }
    if (threadIdx.x == 0) cost_partials[blockIdx.x] = block_cost;
}

// Block of 512 threads = 16 groups of 32 consecutive parameters' lanes: group g adds partials
// b = g, g + 16, ... for its parameter (8 loads in flight), then group 0 adds the 16 group sums in
// order.
constexpr int kSumGroups = 16;

template <class T>
__global__ void __launch_bounds__(kSumGroups * 32)
    sum_gradient_partials_kernel(int count, int blocks, const T* __restrict__ partials, T inverse_m,
                                 T* __restrict__ grad, T alpha, T* __restrict__ theta) {
    __shared__ T group_sums[kSumGroups][32];
    const int lane = threadIdx.x % 32;
    const int group = threadIdx.x / 32;
    const int p = blockIdx.x * 32 + lane;
    T sum = T(0);
    if (p < count) {
#pragma unroll 8
        for (int b = group; b < blocks; b += kSumGroups) sum += partials[std::size_t(b) * count + p];
    }
    group_sums[group][lane] = sum;
    __syncthreads();
    if (group == 0 && p < count) {
        T total = T(0);
#pragma unroll
        for (int g = 0; g < kSumGroups; ++g) total += group_sums[g][lane];
        const T gradient = grad[p] + inverse_m * total;
        grad[p] = gradient;
        if (theta != nullptr) theta[p] -= alpha * gradient;
    }
}

}  // namespace

int OneHiddenLayerPlan::tile_rows(int m) const { return kernels::tile_rows(m, resident_blocks); }

int OneHiddenLayerPlan::blocks(int m) const { return grid_blocks(m, resident_blocks); }

// ---- launchers ----

template <class T>
OneHiddenLayerPlan plan_one_hidden_layer(int inputs, int hidden, int classes) {
    OneHiddenLayerPlan plan;
    plan.inputs = inputs;
    plan.hidden = hidden;
    plan.classes = classes;
    const ShapePlan shape = plan_shape(inputs, hidden, classes, sizeof(T));
    if (shape.reason != nullptr) return plan;
    plan.hidden_padded = shape.hidden_padded;
    plan.shared_bytes = shape.fused_bytes;
    int device = 0;
    CUDA_CHECK(cudaGetDevice(&device));
    int shared_limit = 0;
    int multiprocessors = 0;
    CUDA_CHECK(cudaDeviceGetAttribute(&shared_limit, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
    CUDA_CHECK(cudaDeviceGetAttribute(&multiprocessors, cudaDevAttrMultiProcessorCount, device));
    if (plan.shared_bytes > static_cast<std::size_t>(shared_limit)) return plan;  // too wide: cuBLAS path
    // The kernel's shared-memory limit, then how many of its blocks an SM holds (0: none).
    const int per_sm = tile::with_padded_width(plan.hidden_padded, [&](auto width) {
        const auto kernel = one_hidden_layer_gradient_kernel<T, decltype(width)::value>;
        CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                        static_cast<int>(plan.shared_bytes)));
        int blocks = 0;
        CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, kernel, kThreads, plan.shared_bytes));
        return blocks;
    });
    plan.resident_blocks = per_sm * multiprocessors;
    return plan;
}

template <class T>
void one_hidden_layer_gradient_partials(const OneHiddenLayerPlan& plan, int m, const T* a0, const T* Y, const T* theta,
                                        T* partials, double* cost_partials, cudaStream_t stream) {
    if (!plan.usable()) throw DeviceError("one_hidden_layer_gradient_partials: the plan says it cannot run here");
    if (m <= 0) return;
    tile::with_padded_width(plan.hidden_padded, [&](auto width) {
        constexpr int HP = decltype(width)::value;
        one_hidden_layer_gradient_kernel<T, HP><<<plan.blocks(m), kThreads, plan.shared_bytes, stream>>>(
            m, plan.tile_rows(m), plan.inputs, plan.hidden, plan.classes, a0, Y, theta, partials, cost_partials);
        CUDA_CHECK(cudaGetLastError());
    });
}

template <class T>
void sum_gradient_partials(int count, int blocks, const T* partials, T inverse_m, T* grad, T alpha, T* theta,
                           cudaStream_t stream) {
    if (count <= 0) return;
    const int grid = (count + 31) / 32;
    sum_gradient_partials_kernel<T>
        <<<grid, kSumGroups * 32, 0, stream>>>(count, blocks, partials, inverse_m, grad, alpha, theta);
    CUDA_CHECK(cudaGetLastError());
}

template OneHiddenLayerPlan plan_one_hidden_layer<float>(int, int, int);
template OneHiddenLayerPlan plan_one_hidden_layer<double>(int, int, int);
template void one_hidden_layer_gradient_partials<float>(const OneHiddenLayerPlan&, int, const float*, const float*,
                                                        const float*, float*, double*, cudaStream_t);
template void one_hidden_layer_gradient_partials<double>(const OneHiddenLayerPlan&, int, const double*, const double*,
                                                         const double*, double*, double*, cudaStream_t);
template void sum_gradient_partials<float>(int, int, const float*, float, float*, float, float*, cudaStream_t);
template void sum_gradient_partials<double>(int, int, const double*, double, double*, double, double*, cudaStream_t);

}  // namespace digitnet::kernels
