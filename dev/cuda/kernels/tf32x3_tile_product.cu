// Kernels and launchers for tf32x3_tile_product.cuh.
// ptxas (CUDA 13.0, sm_90, -O3, -Xptxas -v): registers in the note above each kernel; none has a
// stack frame or spills.
#include <string>

#include "cuda_check.hpp"
#include "linear_kernel.cuh"
#include "mma_fragment_layout.hpp"
#include "tf32_split.hpp"
#include "tf32x3_mma.cuh"
#include "tf32x3_tile_product.cuh"

namespace digitnet::kernels {

namespace {

using mma::MatrixView;
using mma::MutableMatrixView;

// ---- kernels ----

// hi[i], lo[i] = split_tf32(x[i]) with the device's cvt.rna.tf32.f32. ptxas: 16 registers.
__global__ void tf32_split_kernel(int count, const float* __restrict__ x, std::uint32_t* __restrict__ hi,
                                  std::uint32_t* __restrict__ lo) {
    const int i = linear_index();
    if (i >= count) return;
    const Tf32Split s = split_tf32(x[i]);
    hi[i] = float_bits(s.hi);
    lo[i] = float_bits(s.lo);
}

// C (M x N, row-major) = A B (K = A.cols), one warp: A and B copied to shared memory as they are
// stored, then for each 32 x 32 block of C at (row0, col0): acc = 0, warp_product_tf32 over all of
// K in k-steps of 8, store. The same blocks and fragments as the host model (tests/model/tf32x3_emulation.hpp).
// ptxas: 79 registers (Passes 3), 70 (Passes 1).
template <int Passes>
__global__ void __launch_bounds__(32) warp_product_kernel(DeviceMatrix A, DeviceMatrix B, float* __restrict__ C) {
    extern __shared__ __align__(16) float shared_values[];
    float* s_a = shared_values;
    float* s_b = shared_values + A.elements;
    const int lane = static_cast<int>(threadIdx.x);
    for (std::size_t i = lane; i < A.elements; i += 32) s_a[i] = A.data[i];
    for (std::size_t i = lane; i < B.elements; i += 32) s_b[i] = B.data[i];
    __syncwarp();
    const MatrixView a{s_a, A.rows, A.cols, A.row_stride, A.col_stride};
    const MatrixView b{s_b, B.rows, B.cols, B.row_stride, B.col_stride};
    const MutableMatrixView c{C, A.rows, B.cols, B.cols, 1};
    for (int row0 = 0; row0 < A.rows; row0 += 32) {
        for (int col0 = 0; col0 < B.cols; col0 += 32) {
            float acc[2][4][mma::kCRegisters];
            mma::zero_accumulators(acc);
            mma::warp_product_tf32<2, 4, Passes>(a, b, row0, col0, 0, A.cols, mma::kK, acc, lane);
            mma::store_accumulators(c, row0, col0, acc, lane);
        }
    }
}

// ---- the seed tile's forward product, two ways (benchmark kernels) ----

constexpr int kWarps = 8;
constexpr int kThreads = kWarps * 32;
constexpr int kTileRows = 32;
constexpr int HP = kTileProductMaxHidden;

// The block's shared memory, in floats from its start.
//   FP32 SIMT (as the fused kernel):   theta (n, HP) Theta1 transposed, units >= hidden zero;
//                                      x (32, n | 1): odd stride, lane r reads its row conflict-free
//                                      red (kWarps, HP, 32) the warps' partial sums; z (32, HP)
//   MMA:  theta (HP, s) Theta1 row-major = Theta1^T column-major, s = n rounded up to 4 (mod 8)
//         (conflict-free B fragments), and with SplitTheta its lo part (HP, s) after it;
//         x (32, s) (conflict-free A fragments);
//         red (kWarps, 32 registers, 32 lanes) the warps' accumulators; z (32, HP)
struct TileLayout {
    int theta_stride, x_stride;
    std::size_t theta, theta_lo, x, red, z, total;
    __host__ __device__ TileLayout(TileProductMethod method, int n) {
        const bool mma_layout = method != TileProductMethod::Fp32Simt;
        const int s = n + (12 - n % 8) % 8;
        theta_stride = mma_layout ? s : HP;
        x_stride = mma_layout ? s : (n | 1);
        theta = 0;
        theta_lo = theta + std::size_t(mma_layout ? HP * s : n * HP);
        x = theta_lo + (method == TileProductMethod::Tf32x3MmaSplitTheta ? std::size_t(HP) * s : 0);
        red = x + std::size_t(kTileRows) * x_stride;
        z = red + std::size_t(kWarps) * 32 * (mma_layout ? 32 : HP);
        total = z + std::size_t(kTileRows) * HP;
    }
};

// Tile rows r, the block's tile: x[(blockIdx.x rows + r) n + k], zeros past `rows`.
__device__ void stage_tile(float* s_x, int x_stride, int rows, int n, const float* __restrict__ x) {
    const float* tile = x + std::size_t(blockIdx.x) * rows * n;
    for (int i = threadIdx.x; i < kTileRows * n; i += kThreads) {
        const int r = i / n;
        const int k = i - r * n;
        s_x[r * x_stride + k] = r < rows ? tile[std::size_t(r) * n + k] : 0.0f;
    }
}

__device__ void write_tile_z(const float* s_z, int rows, int hidden, float* __restrict__ z) {
    for (int i = threadIdx.x; i < rows * hidden; i += kThreads) {
        const int r = i / hidden;
        const int j = i - r * hidden;
        z[(std::size_t(blockIdx.x) * rows + r) * hidden + j] = s_z[r * HP + j];
    }
}

// z1 = a0 Theta1^T as the fused kernel computes it (one_hidden_layer_gradient.cu): lane r of warp
// w sums its row over k = w, w + 8, ... for all HP units at once (FMAs, Theta1^T read 4 floats at
// a time, a broadcast); then z[r][j] = the 8 warps' sums in warp order.
// ptxas: 69 registers.
__global__ void __launch_bounds__(kThreads)
    seed_forward_simt_kernel(int repetitions, int rows, int n, int hidden, const float* __restrict__ x,
                             const float* __restrict__ theta1, float* __restrict__ z) {
    extern __shared__ __align__(16) float shared_values[];
    const TileLayout layout(TileProductMethod::Fp32Simt, n);
    float* s_theta = shared_values + layout.theta;
    float* s_x = shared_values + layout.x;
    float* s_red = shared_values + layout.red;
    float* s_z = shared_values + layout.z;
    const int warp = threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    for (int i = threadIdx.x; i < n * HP; i += kThreads) {
        const int k = i / HP;
        const int j = i - k * HP;
        s_theta[i] = j < hidden ? theta1[std::size_t(j) * n + k] : 0.0f;
    }
    stage_tile(s_x, layout.x_stride, rows, n, x);
    __syncthreads();
    for (int repetition = 0; repetition < repetitions; ++repetition) {
        float acc[HP];
#pragma unroll
        for (int j = 0; j < HP; ++j) acc[j] = 0.0f;
        const float* x_row = s_x + lane * layout.x_stride;
#pragma unroll 4
        for (int k = warp; k < n; k += kWarps) {
            const float a = x_row[k];
            const float4* column = reinterpret_cast<const float4*>(s_theta + k * HP);
#pragma unroll
            for (int q = 0; q < HP / 4; ++q) {
                const float4 v = column[q];
                acc[4 * q] += a * v.x;
                acc[4 * q + 1] += a * v.y;
                acc[4 * q + 2] += a * v.z;
                acc[4 * q + 3] += a * v.w;
            }
        }
#pragma unroll
        for (int j = 0; j < HP; ++j) s_red[(warp * HP + j) * 32 + lane] = acc[j];
        __syncthreads();
        for (int i = threadIdx.x; i < kTileRows * HP; i += kThreads) {
            const int r = i % kTileRows;
            const int j = i / kTileRows;
            float sum = 0.0f;
#pragma unroll
            for (int w = 0; w < kWarps; ++w) sum += s_red[(w * HP + j) * 32 + r];
            s_z[r * HP + j] = sum;
        }
        __syncthreads();
    }
    write_tile_z(s_z, rows, hidden, z);
}

// The same z1 on tensor cores: warp w takes k-steps k0 = 8 w, 8 w + 64, ... (of the 51 that cover
// n = 401) for the whole 32 x 32 output (2 x 4 mma tiles: 32 accumulators a lane), then z = the 8
// warps' accumulators in warp order. A = the tile (rows x n, row-major), B = Theta1^T (n x hidden),
// read from Theta1 row-major, i.e. column-major B; with SplitTheta, Theta1 is staged as its TF32
// parts hi and lo, and B's fragments are loaded without a cvt.
// ptxas: 85 registers with Passes 3 (3xTF32: 32 accumulators, 16 hi and 16 lo fragment registers),
// 70 with Passes 1, 94 with SplitTheta; PTX: 24 (8) mma.sync and 32 (16) cvt.rna.tf32.f32 per
// k-step (16 with SplitTheta: the tile's only).
template <int Passes, bool SplitTheta>
__global__ void __launch_bounds__(kThreads)
    seed_forward_mma_kernel(int repetitions, int rows, int n, int hidden, const float* __restrict__ x,
                            const float* __restrict__ theta1, float* __restrict__ z) {
    extern __shared__ __align__(16) float shared_values[];
    const TileLayout layout(SplitTheta ? TileProductMethod::Tf32x3MmaSplitTheta : TileProductMethod::Tf32x3Mma, n);
    float* s_theta = shared_values + layout.theta;
    float* s_theta_lo = shared_values + layout.theta_lo;
    float* s_x = shared_values + layout.x;
    float* s_red = shared_values + layout.red;
    float* s_z = shared_values + layout.z;
    const int warp = threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    for (int i = threadIdx.x; i < hidden * n; i += kThreads) {
        const int j = i / n;
        const int k = i - j * n;
        if constexpr (SplitTheta) {
            const Tf32Split parts = split_tf32(theta1[i]);
            s_theta[j * layout.theta_stride + k] = parts.hi;
            s_theta_lo[j * layout.theta_stride + k] = parts.lo;
        } else {
            s_theta[j * layout.theta_stride + k] = theta1[i];
        }
    }
    stage_tile(s_x, layout.x_stride, rows, n, x);
    __syncthreads();
    const MatrixView A{s_x, rows, n, layout.x_stride, 1};
    const MatrixView B{s_theta, n, hidden, 1, layout.theta_stride};
    const mma::SplitMatrixView B_parts{B, {s_theta_lo, n, hidden, 1, layout.theta_stride}};
    for (int repetition = 0; repetition < repetitions; ++repetition) {
        float acc[2][4][mma::kCRegisters];
        mma::zero_accumulators(acc);
        if constexpr (SplitTheta)
            mma::warp_product_tf32<2, 4, Passes>(A, B_parts, 0, 0, mma::kK * warp, n, mma::kK * kWarps, acc, lane);
        else
            mma::warp_product_tf32<2, 4, Passes>(A, B, 0, 0, mma::kK * warp, n, mma::kK * kWarps, acc, lane);
#pragma unroll
        for (int mt = 0; mt < 2; ++mt) {
#pragma unroll
            for (int nt = 0; nt < 4; ++nt) {
#pragma unroll
                for (int i = 0; i < mma::kCRegisters; ++i)
                    s_red[(warp * 32 + (mt * 4 + nt) * mma::kCRegisters + i) * 32 + lane] = acc[mt][nt][i];
            }
        }
        __syncthreads();
        for (int e = threadIdx.x; e < 32 * 32; e += kThreads) {
            const int owner = e % 32;  // the lane that held it, and its register reg = (mt 4 + nt) 4 + i
            const int reg = e / 32;
            float sum = 0.0f;
#pragma unroll
            for (int w = 0; w < kWarps; ++w) sum += s_red[(w * 32 + reg) * 32 + owner];
            const mma::Element at = mma::c_element(owner, reg % mma::kCRegisters);
            const int r = mma::kM * (reg / 16) + at.row;
            const int j = mma::kN * (reg / 4 % 4) + at.col;
            if (r < kTileRows && j < HP) s_z[r * HP + j] = sum;
        }
        __syncthreads();
    }
    write_tile_z(s_z, rows, hidden, z);
}

void allow_shared_bytes(const void* kernel, std::size_t bytes) {
    CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes)));
}

}  // namespace

// ---- launchers ----

void tf32_split_on_device(const float* x, std::uint32_t* hi, std::uint32_t* lo, int count, cudaStream_t stream) {
    if (count < 0) throw DeviceError("tf32_split_on_device: negative count");
    linear_kernel(tf32_split_kernel, static_cast<std::size_t>(count), stream, x, hi, lo);
}

void warp_product_on_device(int passes, const DeviceMatrix& A, const DeviceMatrix& B, float* C, cudaStream_t stream) {
    if (passes != 1 && passes != 3) throw DeviceError("warp_product_on_device: passes must be 1 or 3");
    if (A.cols != B.rows || A.rows < 1 || A.cols < 1 || B.cols < 1)
        throw DeviceError("warp_product_on_device: A is " + std::to_string(A.rows) + " x " + std::to_string(A.cols) +
                          ", B is " + std::to_string(B.rows) + " x " + std::to_string(B.cols));
    const std::size_t bytes = (A.elements + B.elements) * sizeof(float);
    const auto kernel = passes == 3 ? warp_product_kernel<3> : warp_product_kernel<1>;
    allow_shared_bytes(reinterpret_cast<const void*>(kernel), bytes);
    kernel<<<1, 32, bytes, stream>>>(A, B, C);
    CUDA_CHECK(cudaGetLastError());
}

std::size_t tile_product_shared_bytes(TileProductMethod method, int n) {
    return TileLayout(method, n).total * sizeof(float);
}

void seed_forward_tile_products(TileProductMethod method, int blocks, int repetitions, int rows, int n, int hidden,
                                const float* x, const float* theta1, float* z, cudaStream_t stream) {
    if (blocks < 1 || repetitions < 1 || rows < 1 || rows > kTileRows || n < 1 || hidden < 1 || hidden > HP)
        throw DeviceError("seed_forward_tile_products: no kernel for " + std::to_string(blocks) + " blocks of " +
                          std::to_string(rows) + " rows, n " + std::to_string(n) + ", hidden " +
                          std::to_string(hidden) + " (at most 32 rows and " + std::to_string(HP) + " hidden)");
    const std::size_t bytes = tile_product_shared_bytes(method, n);
    const auto kernel = method == TileProductMethod::Fp32Simt    ? seed_forward_simt_kernel
                        : method == TileProductMethod::Tf32x3Mma ? seed_forward_mma_kernel<3, false>
                        : method == TileProductMethod::Tf32Mma   ? seed_forward_mma_kernel<1, false>
                                                                 : seed_forward_mma_kernel<3, true>;
    allow_shared_bytes(reinterpret_cast<const void*>(kernel), bytes);
    kernel<<<blocks, kThreads, bytes, stream>>>(repetitions, rows, n, hidden, x, theta1, z);
    CUDA_CHECK(cudaGetLastError());
}

}  // namespace digitnet::kernels
