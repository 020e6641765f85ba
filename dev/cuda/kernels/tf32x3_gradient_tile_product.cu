// The seed tile's gradient share grad1 = d1^T a0 (25 x 19 times 19 x 401) two ways, for
// digitnet_bench's gpu/tile/seed_gradient rows and the GPU test (declared in tf32x3_tile_product.cuh).
// ptxas (CUDA 13.0, sm_90, -O3, -Xptxas -v): registers in the note above each kernel; none has a
// stack frame or spills.
#include <string>

#include "cuda_check.hpp"
#include "mma_fragment_layout.hpp"
#include "tf32x3_mma.cuh"
#include "tf32x3_tile_product.cuh"

namespace digitnet::kernels {

namespace {

using mma::MatrixView;
using mma::MutableMatrixView;

constexpr int kWarps = 8;
constexpr int kThreads = kWarps * 32;
constexpr int kTileRows = 32;
constexpr int HP = kTileProductMaxHidden;

// The block's shared memory, in floats from its start:
//   d1 (32, d1_stride)   the tile's d1, units >= hidden and rows >= rows zero
//   x  (32, x_stride)    the tile's rows of a0
//   grad (HP, n)         the block's product, written every repetition
// FP32 SIMT: d1_stride = HP (read 4 at a time, a broadcast), x_stride = n (consecutive threads
// read consecutive columns). MMA: A = d1^T is column-major and B = the tile row-major, so lane
// (g, t) reads at t * stride + g: strides = 8 (mod 16) are conflict-free (d1 40, x 401 -> 408).
// (The forward product wants the tile's stride = 4 (mod 8) instead: a kernel doing both on one
// staged tile has to choose, or take 2-way conflicts in one of them.)
struct GradientLayout {
    int d1_stride, x_stride;
    std::size_t d1, x, grad, total;
    __host__ __device__ GradientLayout(TileProductMethod method, int n) {
        const bool mma_layout = method != TileProductMethod::Fp32Simt;
        d1_stride = mma_layout ? 40 : HP;
        x_stride = mma_layout ? n + (24 - n % 16) % 16 : n;
        d1 = 0;
        x = d1 + std::size_t(kTileRows) * d1_stride;
        grad = x + std::size_t(kTileRows) * x_stride;
        total = grad + std::size_t(HP) * n;
    }
};

// The block's tile: d1 rows and a0 rows blockIdx.x rows + r, zeros past `rows` and `hidden`.
__device__ void stage_gradient_tile(const GradientLayout& layout, float* s_d1, float* s_x, int rows, int n, int hidden,
                                    const float* __restrict__ d1, const float* __restrict__ x) {
    const std::size_t row0 = std::size_t(blockIdx.x) * rows;
    for (int i = threadIdx.x; i < kTileRows * layout.d1_stride; i += kThreads) {
        const int r = i / layout.d1_stride;
        const int j = i - r * layout.d1_stride;
        s_d1[i] = r < rows && j < hidden ? d1[(row0 + r) * hidden + j] : 0.0f;
    }
    for (int i = threadIdx.x; i < kTileRows * n; i += kThreads) {
        const int r = i / n;
        const int k = i - r * n;
        s_x[r * layout.x_stride + k] = r < rows ? x[(row0 + r) * n + k] : 0.0f;
    }
}

__device__ void write_block_grad(const float* s_grad, int n, int hidden, float* __restrict__ grad) {
    for (int i = threadIdx.x; i < hidden * n; i += kThreads) grad[std::size_t(blockIdx.x) * hidden * n + i] = s_grad[i];
}

// grad[j][k] = sum over the tile's rows r in order of d1[r][j] a0[r][k], as the fused kernel's
// grad1 step: a thread per column k (401 columns: two passes of 256 threads), all HP units in
// registers, d1's row read 4 at a time.
// ptxas: 73 registers.
__global__ void __launch_bounds__(kThreads)
    seed_gradient_simt_kernel(int repetitions, int rows, int n, int hidden, const float* __restrict__ d1,
                              const float* __restrict__ x, float* __restrict__ grad) {
    extern __shared__ __align__(16) float shared_values[];
    const GradientLayout layout(TileProductMethod::Fp32Simt, n);
    float* s_d1 = shared_values + layout.d1;
    float* s_x = shared_values + layout.x;
    float* s_grad = shared_values + layout.grad;
    stage_gradient_tile(layout, s_d1, s_x, rows, n, hidden, d1, x);
    __syncthreads();
    for (int repetition = 0; repetition < repetitions; ++repetition) {
        for (int k = threadIdx.x; k < n; k += kThreads) {
            float g[HP];
#pragma unroll
            for (int j = 0; j < HP; ++j) g[j] = 0.0f;
#pragma unroll 4
            for (int r = 0; r < rows; ++r) {
                const float a = s_x[r * layout.x_stride + k];
                const float4* d1_row = reinterpret_cast<const float4*>(s_d1 + r * HP);
#pragma unroll
                for (int q = 0; q < HP / 4; ++q) {
                    const float4 v = d1_row[q];
                    g[4 * q] += a * v.x;
                    g[4 * q + 1] += a * v.y;
                    g[4 * q + 2] += a * v.z;
                    g[4 * q + 3] += a * v.w;
                }
            }
#pragma unroll
            for (int j = 0; j < HP; ++j)
                if (j < hidden) s_grad[j * n + k] = g[j];
        }
        __syncthreads();
    }
    write_block_grad(s_grad, n, hidden, grad);
}

// The same on tensor cores: grad (hidden x n) = A B with A = d1^T (hidden x rows, column-major in
// d1) and B = the tile (rows x n, row-major), K = rows (19: k-steps 0, 8, 16, the last padded with
// zeros). The output's 13 blocks of 32 x 32 (2 x 4 mma tiles; 416 columns cover 401) go to warps
// w, w + 8: each block over all of K, so no sum across warps.
// ptxas: 80 registers with Passes 3, 64 with Passes 1.
template <int Passes>
__global__ void __launch_bounds__(kThreads)
    seed_gradient_mma_kernel(int repetitions, int rows, int n, int hidden, const float* __restrict__ d1,
                             const float* __restrict__ x, float* __restrict__ grad) {
    extern __shared__ __align__(16) float shared_values[];
    const GradientLayout layout(TileProductMethod::Tf32x3Mma, n);
    float* s_d1 = shared_values + layout.d1;
    float* s_x = shared_values + layout.x;
    float* s_grad = shared_values + layout.grad;
    const int warp = threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    stage_gradient_tile(layout, s_d1, s_x, rows, n, hidden, d1, x);
    __syncthreads();
    const MatrixView A{s_d1, hidden, rows, 1, layout.d1_stride};
    const MatrixView B{s_x, rows, n, layout.x_stride, 1};
    const MutableMatrixView C{s_grad, hidden, n, n, 1};
    for (int repetition = 0; repetition < repetitions; ++repetition) {
        for (int col0 = 32 * warp; col0 < n; col0 += 32 * kWarps) {
            float acc[2][4][mma::kCRegisters];
            mma::zero_accumulators(acc);
            mma::warp_product_tf32<2, 4, Passes>(A, B, 0, col0, 0, rows, mma::kK, acc, lane);
            mma::store_accumulators(C, 0, col0, acc, lane);
        }
        __syncthreads();
    }
    write_block_grad(s_grad, n, hidden, grad);
}

}  // namespace

std::size_t gradient_tile_product_shared_bytes(TileProductMethod method, int n) {
    return GradientLayout(method, n).total * sizeof(float);
}

void seed_gradient_tile_products(TileProductMethod method, int blocks, int repetitions, int rows, int n, int hidden,
                                 const float* d1, const float* x, float* grad, cudaStream_t stream) {
    if (blocks < 1 || repetitions < 1 || rows < 1 || rows > kTileRows || n < 1 || hidden < 1 || hidden > HP ||
        method == TileProductMethod::Tf32x3MmaSplitTheta)
        throw DeviceError("seed_gradient_tile_products: no kernel for " + std::to_string(blocks) + " blocks of " +
                          std::to_string(rows) + " rows, n " + std::to_string(n) + ", hidden " +
                          std::to_string(hidden) + " (at most 32 rows and " + std::to_string(HP) +
                          " hidden; FP32, 3xTF32 or TF32)");
    const std::size_t bytes = gradient_tile_product_shared_bytes(method, n);
    const auto kernel = method == TileProductMethod::Fp32Simt    ? seed_gradient_simt_kernel
                        : method == TileProductMethod::Tf32x3Mma ? seed_gradient_mma_kernel<3>
                                                                 : seed_gradient_mma_kernel<1>;
    CUDA_CHECK(cudaFuncSetAttribute(reinterpret_cast<const void*>(kernel), cudaFuncAttributeMaxDynamicSharedMemorySize,
                                    static_cast<int>(bytes)));
    kernel<<<blocks, kThreads, bytes, stream>>>(repetitions, rows, n, hidden, d1, x, grad);
    CUDA_CHECK(cudaGetLastError());
}

}  // namespace digitnet::kernels
