// Kernels and launchers for one_hidden_layer_gradient.cuh.
#include <cuda_pipeline.h>

#include <algorithm>
#include <string>
#include <type_traits>
#include <utility>

#include "cuda_check.hpp"
#include "device_math.cuh"
#include "one_hidden_layer_gradient.cuh"

namespace digitnet::kernels {

namespace {

constexpr int kTileRows = 32;  // examples a block takes at once: one per lane
constexpr int kWarps = 8;
constexpr int kThreads = kWarps * 32;

// 16-byte vectors: the padded hidden dimension (a multiple of 4) is read 4 floats or 2 doubles at
// a time from shared memory, the same address for the whole warp (a broadcast).
template <class T>
struct Vector16;
template <>
struct Vector16<float> {
    using type = float4;
    static constexpr int width = 4;
    __device__ static void fma(float* acc, float x, float4 v) {
        acc[0] += x * v.x;
        acc[1] += x * v.y;
        acc[2] += x * v.z;
        acc[3] += x * v.w;
    }
};
template <>
struct Vector16<double> {
    using type = double2;
    static constexpr int width = 2;
    __device__ static void fma(double* acc, double x, double2 v) {
        acc[0] += x * v.x;
        acc[1] += x * v.y;
    }
};

__host__ __device__ constexpr std::size_t round16(std::size_t bytes) { return (bytes + 15) / 16 * 16; }

// The block's shared memory, in bytes from its start; each piece starts 16-byte aligned.
//   theta1T  (n, HP)       Theta1 transposed, hidden units j >= H zero; after the forward product,
//                          the warps' partial sums (kWarps, HP, 32) (Theta1 is staged again for
//                          the next tile)
//   x        (32, xs)      the tile's rows of a0 (xs = n rounded up to odd: conflict-free columns)
//   d1       (32, HP)      d1 of the tile, zero for j >= H and for rows past the tile
//   a1       (32, H+1)     a1 = [1, sigmoid(z1)]
//   d2       (32, K)       d2 = h - y, zero for rows past the tile
//   theta2   (K, H+1)
//   cost     (32, K)       the output cost terms, in double
struct SharedLayout {
    std::size_t theta1T, x, d1, a1, d2, theta2, cost, total;
    int x_stride;
    __host__ __device__ SharedLayout(int n, int H, int K, int HP, std::size_t element) {
        x_stride = n | 1;
        const std::size_t theta_elements = std::size_t(n) * HP;
        const std::size_t sum_elements = std::size_t(kWarps) * HP * 32;
        theta1T = 0;
        x = theta1T + round16((theta_elements > sum_elements ? theta_elements : sum_elements) * element);
        d1 = x + round16(std::size_t(kTileRows) * x_stride * element);
        a1 = d1 + round16(std::size_t(kTileRows) * HP * element);
        d2 = a1 + round16(std::size_t(kTileRows) * (H + 1) * element);
        theta2 = d2 + round16(std::size_t(kTileRows) * K * element);
        cost = theta2 + round16(std::size_t(K) * (H + 1) * element);
        total = cost + round16(std::size_t(kTileRows) * K * sizeof(double));
    }
};

// ---- kernels ----

// One block, tiles t = blockIdx.x, blockIdx.x + gridDim.x, ... of tile_rows <= 32 examples (rows r
// of the tile, row0 = tile_rows t; a lane per row, rows past the tile count as zeros). For each
// tile, in the notation of DESIGN.md:
//   z1 = a0 Theta1^T               lane r of warp w sums its row over columns k = w, w + 8, ...;
//                                  the 8 warps' sums are then added in warp order
//   a1 = [1, sigmoid(z1)]
//   z2 = a1 Theta2^T, h = sigmoid(z2), d2 = h - y,
//   cost term = max(z2,0) - y z2 + log1p(exp(-|z2|))   (softplus form; in double)
//   (sigmoid, its derivative and the cost term from activation.hpp)
//   d1 = (d2 Theta2[:, 1:]) .* a1[:, 1:] (1 - a1[:, 1:])
//   grad2 share += d2^T a1          one thread per entry, rows in order
//   grad1 share += d1^T a0          one thread per column k of a0, all H hidden units in registers
// The block's shares accumulate in partials[blockIdx.x P ...] tile after tile (its own entries
// only: no atomics), its cost in cost_partials[blockIdx.x]. HP = H rounded up to a multiple of 4:
// the register tile, so that every loop over hidden units is unrolled at compile time.
template <class T, int HP>
__global__ void __launch_bounds__(kThreads) one_hidden_layer_gradient_kernel(
    int m, int tile_rows, int n, int H, int K, const T* __restrict__ a0, const T* __restrict__ Y,
    const T* __restrict__ theta,
    T* __restrict__ partials, double* __restrict__ cost_partials) {
    using V = Vector16<T>;
    using Vec = typename V::type;
    extern __shared__ __align__(16) unsigned char shared[];
    const SharedLayout layout(n, H, K, HP, sizeof(T));
    T* s_theta1T = reinterpret_cast<T*>(shared + layout.theta1T);
    T* s_x = reinterpret_cast<T*>(shared + layout.x);
    T* s_red = s_theta1T;  // reused once the forward product is done
    T* s_d1 = reinterpret_cast<T*>(shared + layout.d1);
    T* s_a1 = reinterpret_cast<T*>(shared + layout.a1);
    T* s_d2 = reinterpret_cast<T*>(shared + layout.d2);
    T* s_theta2 = reinterpret_cast<T*>(shared + layout.theta2);
    double* s_cost = reinterpret_cast<double*>(shared + layout.cost);
    const int xs = layout.x_stride;
    const int warp = threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    const int H1 = H + 1;
    const std::size_t P1 = std::size_t(H) * n;  // grad2's entries follow grad1's
    const std::size_t P = P1 + std::size_t(K) * H1;
    T* block_partials = partials + blockIdx.x * P;

    const T* theta1 = theta;
    const T* theta2 = theta + P1;
    for (int i = threadIdx.x; i < K * H1; i += kThreads) __pipeline_memcpy_async(s_theta2 + i, theta2 + i, sizeof(T));

    double block_cost = 0.0;  // lane 0 of warp 0 only
    bool first_tile = true;
    for (int tile = blockIdx.x; static_cast<long long>(tile) * tile_rows < m;
         tile += static_cast<int>(gridDim.x), first_tile = false) {
        const int row0 = tile * tile_rows;
        const int rows = min(tile_rows, m - row0);
        const T* tile_a0 = a0 + std::size_t(row0) * n;
        __syncthreads();  // the previous tile is done with every shared buffer

        // Asynchronous copies (cp.async): every thread has all its loads in flight at once, instead
        // of one L2 round trip after another. Theta1 (H, n) row-major, read coalesced, stored
        // transposed and zero-padded to HP units; the tile's rows of a0, zeros past m.
        for (int j = warp; j < H; j += kWarps) {
            for (int k = lane; k < n; k += 32)
                __pipeline_memcpy_async(s_theta1T + k * HP + j, theta1 + std::size_t(j) * n + k, sizeof(T));
        }
        for (int j = H + warp; j < HP; j += kWarps) {
            for (int k = lane; k < n; k += 32) s_theta1T[k * HP + j] = T(0);
        }
        for (int r = warp; r < kTileRows; r += kWarps) {
            if (r < rows) {
                for (int k = lane; k < n; k += 32)
                    __pipeline_memcpy_async(s_x + r * xs + k, tile_a0 + std::size_t(r) * n + k, sizeof(T));
            } else {
                for (int k = lane; k < n; k += 32) s_x[r * xs + k] = T(0);
            }
        }
        __pipeline_commit();
        __pipeline_wait_prior(0);
        __syncthreads();

        // z1: lane r, warp w: sum over k = w, w + 8, ... of a0[r, k] Theta1[j, k], all j at once.
        T acc[HP];
#pragma unroll
        for (int j = 0; j < HP; ++j) acc[j] = T(0);
        const T* x_row = s_x + lane * xs;
#pragma unroll 4
        for (int k = warp; k < n; k += kWarps) {
            const T x = x_row[k];
            const Vec* column = reinterpret_cast<const Vec*>(s_theta1T + k * HP);
#pragma unroll
            for (int q = 0; q < HP / V::width; ++q) V::fma(acc + q * V::width, x, column[q]);
        }
        __syncthreads();  // every warp is done reading Theta1: its space becomes s_red
#pragma unroll
        for (int j = 0; j < HP; ++j) s_red[(warp * HP + j) * 32 + lane] = acc[j];
        __syncthreads();

        // a1 = [1, sigmoid(z1)], z1 = the warps' sums in warp order. Consecutive threads take
        // consecutive rows: their reads of s_red fall in different banks.
        for (int i = threadIdx.x; i < kTileRows * H1; i += kThreads) {
            const int r = i % kTileRows;
            const int j1 = i / kTileRows;
            T value = T(1);
            if (j1 > 0) {
                T z = T(0);
#pragma unroll
                for (int w = 0; w < kWarps; ++w) z += s_red[(w * HP + j1 - 1) * 32 + r];
                value = activate<Activation::Sigmoid>(z);
            }
            s_a1[r * H1 + j1] = value;
        }
        __syncthreads();

        // Output layer: d2 and the cost terms.
        for (int i = threadIdx.x; i < kTileRows * K; i += kThreads) {
            const int r = i / K;
            const int c = i - r * K;
            T d = T(0);
            double term = 0.0;
            if (r < rows) {
                T z = T(0);
                for (int j1 = 0; j1 < H1; ++j1) z += s_theta2[c * H1 + j1] * s_a1[r * H1 + j1];
                const T y = Y[std::size_t(row0 + r) * K + c];
                d = activate<Activation::Sigmoid>(z) - y;
                term = static_cast<double>(sigmoid_cost_term(z, y));
            }
            s_d2[i] = d;
            s_cost[i] = term;
        }
        __syncthreads();

        // The tile's cost: lane r adds its row's K terms, then a fixed shuffle tree over the rows.
        if (warp == 0) {
            double row_cost = 0.0;
            for (int c = 0; c < K; ++c) row_cost += s_cost[lane * K + c];
#pragma unroll
            for (int offset = 16; offset > 0; offset /= 2) row_cost += __shfl_down_sync(0xffffffffu, row_cost, offset);
            block_cost += row_cost;
        }
        // d1 = (d2 Theta2[:, 1:]) .* a1 (1 - a1), zero for padded units and rows past m.
        for (int i = threadIdx.x; i < kTileRows * HP; i += kThreads) {
            const int r = i / HP;
            const int j = i - r * HP;
            T d = T(0);
            if (r < rows && j < H) {
                T sum = T(0);
                for (int c = 0; c < K; ++c) sum += s_d2[r * K + c] * s_theta2[c * H1 + j + 1];
                const T a = s_a1[r * H1 + j + 1];
                d = sum * activation_derivative<Activation::Sigmoid>(a);
            }
            s_d1[i] = d;
        }
        // grad2 share += d2^T a1 (reads d2 and a1 only, so it shares the step with d1).
        for (int e = threadIdx.x; e < K * H1; e += kThreads) {
            const int c = e / H1;
            const int j1 = e - c * H1;
            T sum = T(0);
            for (int r = 0; r < rows; ++r) sum += s_d2[r * K + c] * s_a1[r * H1 + j1];
            T* out = block_partials + P1 + e;
            *out = first_tile ? sum : *out + sum;
        }
        __syncthreads();

        // grad1 share += d1^T a0: thread per column k of the tile in shared memory, rows in order.
        for (int k = threadIdx.x; k < n; k += kThreads) {
            T g[HP];
#pragma unroll
            for (int j = 0; j < HP; ++j) g[j] = T(0);
#pragma unroll 4
            for (int r = 0; r < rows; ++r) {
                const T x = s_x[r * xs + k];
                const Vec* d1_row = reinterpret_cast<const Vec*>(s_d1 + r * HP);
#pragma unroll
                for (int q = 0; q < HP / V::width; ++q) V::fma(g + q * V::width, x, d1_row[q]);
            }
#pragma unroll
            for (int j = 0; j < HP; ++j) {
                if (j < H) {
                    T* out = block_partials + std::size_t(j) * n + k;
                    *out = first_tile ? g[j] : *out + g[j];
                }
            }
        }
    }
    if (threadIdx.x == 0) cost_partials[blockIdx.x] = block_cost;
}

// Block of 512 threads = 16 groups of 32 consecutive parameters' lanes: group g adds partials
// b = g, g + 16, ... for its parameter (8 loads in flight), then group 0 adds the 16 group sums in
// order.
constexpr int kSumGroups = 16;

template <class T>
__global__ void __launch_bounds__(kSumGroups * 32) sum_gradient_partials_kernel(int count, int blocks,
                                                                        const T* __restrict__ partials,
                                                                        T inverse_m, T* __restrict__ grad,
                                                                        T alpha, T* __restrict__ theta) {
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

// Calls f(std::integral_constant<int, HP>{}) for the instantiation of the plan's padded width
// (HP = 4, 8, ..., kOneHiddenLayerMaxHidden) and returns what it returns.
template <int HP = 4, class F>
std::invoke_result_t<F&, std::integral_constant<int, 4>> with_padded_width(int hidden_padded, F&& f) {
    if constexpr (HP > kOneHiddenLayerMaxHidden) {
        throw DeviceError("one_hidden_layer_gradient: no kernel for " + std::to_string(hidden_padded) +
                          " padded hidden units");
    } else {
        if (hidden_padded == HP) return f(std::integral_constant<int, HP>{});
        return with_padded_width<HP + 4>(hidden_padded, std::forward<F>(f));
    }
}

}  // namespace

int OneHiddenLayerPlan::tile_rows(int m) const {
    if (resident_blocks <= 0) return kTileRows;
    const long long even_share = (static_cast<long long>(m) + resident_blocks - 1) / resident_blocks;
    return static_cast<int>(std::clamp<long long>(even_share, 1, kTileRows));
}

int OneHiddenLayerPlan::blocks(int m) const {
    const int rows = tile_rows(m);
    return static_cast<int>(std::min<long long>((static_cast<long long>(m) + rows - 1) / rows, resident_blocks));
}

// ---- launchers ----

template <class T>
OneHiddenLayerPlan plan_one_hidden_layer(int inputs, int hidden, int classes) {
    OneHiddenLayerPlan plan;
    plan.inputs = inputs;
    plan.hidden = hidden;
    plan.classes = classes;
    if (inputs < 1 || hidden < 1 || hidden > kOneHiddenLayerMaxHidden || classes < 1 ||
        classes > kOneHiddenLayerMaxClasses)
        return plan;
    plan.hidden_padded = (hidden + 3) / 4 * 4;
    plan.shared_bytes = SharedLayout(inputs, hidden, classes, plan.hidden_padded, sizeof(T)).total;
    int device = 0;
    CUDA_CHECK(cudaGetDevice(&device));
    int shared_limit = 0;
    int multiprocessors = 0;
    CUDA_CHECK(cudaDeviceGetAttribute(&shared_limit, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
    CUDA_CHECK(cudaDeviceGetAttribute(&multiprocessors, cudaDevAttrMultiProcessorCount, device));
    if (plan.shared_bytes > static_cast<std::size_t>(shared_limit)) return plan;  // too wide: cuBLAS path
    // The kernel's shared-memory limit, then how many of its blocks an SM holds (0: none).
    const int per_sm = with_padded_width(plan.hidden_padded, [&](auto width) {
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
void one_hidden_layer_gradient_partials(const OneHiddenLayerPlan& plan, int m, const T* a0, const T* Y,
                                        const T* theta, T* partials, double* cost_partials, cudaStream_t stream) {
    if (!plan.usable()) throw DeviceError("one_hidden_layer_gradient_partials: the plan says it cannot run here");
    if (m <= 0) return;
    with_padded_width(plan.hidden_padded, [&](auto width) {
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
template void one_hidden_layer_gradient_partials<double>(const OneHiddenLayerPlan&, int, const double*,
                                                         const double*, const double*, double*, double*,
                                                         cudaStream_t);
template void sum_gradient_partials<float>(int, int, const float*, float, float*, float, float*, cudaStream_t);
template void sum_gradient_partials<double>(int, int, const double*, double, double*, double, double*,
                                            cudaStream_t);

}  // namespace digitnet::kernels
