#pragma once
// One tile of the one-hidden-layer pass as device functions: a block takes up to 32 examples
// through the forward pass, the output delta and cost terms, the hidden delta and both gradient
// products, and adds its share of the gradient to its own partials. Used by the fused kernel
// (one_hidden_layer_gradient.cu: one launch per pass) and the persistent kernel
// (persistent_training.cu: a chunk of iterations per launch); where things go in shared memory and
// which examples a tile holds is one_hidden_layer_indexing.hpp's. CUDA-only.
#ifndef __CUDACC__
#error "one_hidden_layer_tile.cuh holds CUDA code"
#endif

#include <cuda_pipeline.h>

#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>

#include "cuda_check.hpp"
#include "device_math.cuh"
#include "one_hidden_layer_indexing.hpp"

namespace digitnet::kernels::tile {

constexpr int kThreads = kTileThreads;
constexpr int kWarps = kTileWarps;

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

// The pieces of a block's dynamic shared memory (SharedLayout) as typed pointers.
template <class T>
struct TileShared {
    T* theta1T;
    T* x;
    T* red;  // = theta1T, reused once the forward product is done
    T* d1;
    T* a1;
    T* d2;
    T* theta2;
    double* cost;
    int x_stride;
};

template <class T>
__device__ __forceinline__ TileShared<T> tile_shared(unsigned char* shared, const SharedLayout& layout) {
    T* theta1T = reinterpret_cast<T*>(shared + layout.theta1T);
    return {theta1T,
            reinterpret_cast<T*>(shared + layout.x),
            theta1T,
            reinterpret_cast<T*>(shared + layout.d1),
            reinterpret_cast<T*>(shared + layout.a1),
            reinterpret_cast<T*>(shared + layout.d2),
            reinterpret_cast<T*>(shared + layout.theta2),
            reinterpret_cast<double*>(shared + layout.cost),
            layout.x_stride};
}

// Theta2 (K, H+1) into shared memory, asynchronously (cp.async): the copies complete at the next
// tile's wait. The block must be past every read of the previous Theta2.
template <class T>
__device__ __forceinline__ void stage_theta2(const TileShared<T>& s, const T* __restrict__ theta2, int count) {
    for (int i = threadIdx.x; i < count; i += kThreads) __pipeline_memcpy_async(s.theta2 + i, theta2 + i, sizeof(T));
}

// One tile of `rows` <= 32 examples starting at row0 (a lane per row, rows past the tile count as
// zeros). In the notation of DESIGN.md:
//   z1 = a0 Theta1^T               lane r of warp w sums its row over columns k = w, w + 8, ...;
//                                  the 8 warps' sums are then added in warp order
//   a1 = [1, sigmoid(z1)]
//   z2 = a1 Theta2^T, h = sigmoid(z2), d2 = h - y,
//   cost term = max(z2,0) - y z2 + log1p(exp(-|z2|))   (softplus form; in double)
//   (sigmoid, its derivative and the cost term from activation.hpp)
//   d1 = (d2 Theta2[:, 1:]) .* a1[:, 1:] (1 - a1[:, 1:])
//   grad2 share += d2^T a1          one thread per entry, rows in order
//   grad1 share += d1^T a0          one thread per column k of a0, all H hidden units in registers
// The shares go to block_partials (P entries: grad1 then grad2; written on the first tile, added
// to after), the tile's cost to block_cost (lane 0 of warp 0 only: the rows' K terms each, then a
// fixed shuffle tree over the rows). Stages Theta1 from global memory itself (its space is reused
// for the warps' sums). HP = H rounded up to a multiple of 4: the register tile, so that every
// loop over hidden units is unrolled at compile time. Every thread of the block calls it.
template <class T, int HP>
__device__ __forceinline__ void one_hidden_layer_tile(const TileShared<T>& s, int row0, int rows, int n, int H, int K,
                                                      const T* __restrict__ a0, const T* __restrict__ Y,
                                                      const T* __restrict__ theta1, T* __restrict__ block_partials,
                                                      bool first_tile, double& block_cost) {
    using V = Vector16<T>;
    using Vec = typename V::type;
    const int xs = s.x_stride;
    const int warp = threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    const int H1 = H + 1;
    const std::size_t P1 = std::size_t(H) * n;  // grad2's entries follow grad1's
    const T* tile_a0 = a0 + std::size_t(row0) * n;
    __syncthreads();  // the previous tile is done with every shared buffer

    // Asynchronous copies (cp.async): every thread has all its loads in flight at once, instead
    // of one L2 round trip after another. Theta1 (H, n) row-major, read coalesced, stored
    // transposed and zero-padded to HP units; the tile's rows of a0, zeros past m.
    for (int j = warp; j < H; j += kWarps) {
        for (int k = lane; k < n; k += 32)
            __pipeline_memcpy_async(s.theta1T + k * HP + j, theta1 + std::size_t(j) * n + k, sizeof(T));
    }
    for (int j = H + warp; j < HP; j += kWarps) {
        for (int k = lane; k < n; k += 32) s.theta1T[k * HP + j] = T(0);
    }
    for (int r = warp; r < kTileRows; r += kWarps) {
        if (r < rows) {
            for (int k = lane; k < n; k += 32)
                __pipeline_memcpy_async(s.x + r * xs + k, tile_a0 + std::size_t(r) * n + k, sizeof(T));
        } else {
            for (int k = lane; k < n; k += 32) s.x[r * xs + k] = T(0);
        }
    }
    __pipeline_commit();
    __pipeline_wait_prior(0);
    __syncthreads();

    // z1: lane r, warp w: sum over k = w, w + 8, ... of a0[r, k] Theta1[j, k], all j at once.
    T acc[HP];
#pragma unroll
    for (int j = 0; j < HP; ++j) acc[j] = T(0);
    const T* x_row = s.x + lane * xs;
#pragma unroll 4
    for (int k = warp; k < n; k += kWarps) {
        const T x = x_row[k];
        const Vec* column = reinterpret_cast<const Vec*>(s.theta1T + k * HP);
#pragma unroll
        for (int q = 0; q < HP / V::width; ++q) V::fma(acc + q * V::width, x, column[q]);
    }
    __syncthreads();  // every warp is done reading Theta1: its space becomes s.red
#pragma unroll
    for (int j = 0; j < HP; ++j) s.red[(warp * HP + j) * 32 + lane] = acc[j];
    __syncthreads();

    // a1 = [1, sigmoid(z1)], z1 = the warps' sums in warp order. Consecutive threads take
    // consecutive rows: their reads of s.red fall in different banks.
    for (int i = threadIdx.x; i < kTileRows * H1; i += kThreads) {
        const int r = i % kTileRows;
        const int j1 = i / kTileRows;
        T value = T(1);
        if (j1 > 0) {
            T z = T(0);
#pragma unroll
            for (int w = 0; w < kWarps; ++w) z += s.red[(w * HP + j1 - 1) * 32 + r];
            value = activate<Activation::Sigmoid>(z);
        }
        s.a1[r * H1 + j1] = value;
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
            for (int j1 = 0; j1 < H1; ++j1) z += s.theta2[c * H1 + j1] * s.a1[r * H1 + j1];
            const T y = Y[std::size_t(row0 + r) * K + c];
            d = activate<Activation::Sigmoid>(z) - y;
            term = static_cast<double>(sigmoid_cost_term(z, y));
        }
        s.d2[i] = d;
        s.cost[i] = term;
    }
    __syncthreads();

    // The tile's cost: lane r adds its row's K terms, then a fixed shuffle tree over the rows.
    if (warp == 0) {
        double row_cost = 0.0;
        for (int c = 0; c < K; ++c) row_cost += s.cost[lane * K + c];
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
            for (int c = 0; c < K; ++c) sum += s.d2[r * K + c] * s.theta2[c * H1 + j + 1];
            const T a = s.a1[r * H1 + j + 1];
            d = sum * activation_derivative<Activation::Sigmoid>(a);
        }
        s.d1[i] = d;
    }
    // grad2 share += d2^T a1 (reads d2 and a1 only, so it shares the step with d1).
    for (int e = threadIdx.x; e < K * H1; e += kThreads) {
        const int c = e / H1;
        const int j1 = e - c * H1;
        T sum = T(0);
        for (int r = 0; r < rows; ++r) sum += s.d2[r * K + c] * s.a1[r * H1 + j1];
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
            const T x = s.x[r * xs + k];
            const Vec* d1_row = reinterpret_cast<const Vec*>(s.d1 + r * HP);
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

// Calls f(std::integral_constant<int, HP>{}) for the instantiation of the plan's padded width
// (HP = 4, 8, ..., kOneHiddenLayerMaxHidden) and returns what it returns.
template <int HP = 4, class F>
std::invoke_result_t<F&, std::integral_constant<int, 4>> with_padded_width(int hidden_padded, F&& f) {
    if constexpr (HP > kOneHiddenLayerMaxHidden) {
        throw DeviceError("one_hidden_layer kernels: no instance for " + std::to_string(hidden_padded) +
                          " padded hidden units");
    } else {
        if (hidden_padded == HP) return f(std::integral_constant<int, HP>{});
        return with_padded_width<HP + 4>(hidden_padded, std::forward<F>(f));
    }
}

}  // namespace digitnet::kernels::tile
