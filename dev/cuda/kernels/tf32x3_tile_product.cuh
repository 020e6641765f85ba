#pragma once
// The 3xTF32 warp product (common/tf32x3_mma.cuh) on its own, before anything uses it: launchers
// for the GPU test (the split and one warp's product against the host model) and for
// digitnet_bench's gpu/tile rows (the seed tile's forward product z1 = a0 Theta1^T and gradient
// share d1^T a0 with FP32 FMAs as the fused kernel does them today, against 3xTF32 and plain TF32
// tensor cores).
// Plain C++ declarations; every pointer is device memory; every launch is checked (DeviceError).
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace digitnet::kernels {

// hi[i], lo[i] = the device's split_tf32(x[i]) (tf32_split.hpp: cvt.rna.tf32.f32), as float bits.
void tf32_split_on_device(const float* x, std::uint32_t* hi, std::uint32_t* lo, int count, cudaStream_t stream);

// A matrix of rows x cols in device memory: element (r, c) at data[r * row_stride + c * col_stride]
// (the same strides are used in shared memory); `elements` floats from data are copied there.
struct DeviceMatrix {
    const float* data;
    int rows, cols, row_stride, col_stride;
    std::size_t elements;
};

// C (A.rows x B.cols, row-major) = A B with K = A.cols = B.rows, by one warp: A and B are copied
// to shared memory as they are, then the warp takes C in blocks of 32 x 32 (2 x 4 mma tiles), each
// over all of K. passes = 3: 3xTF32; 1: plain TF32 (the contrast). Shared memory: A and B's
// elements together, at most what the device allows a block.
void warp_product_on_device(int passes, const DeviceMatrix& A, const DeviceMatrix& B, float* C, cudaStream_t stream);

enum class TileProductMethod {
    Fp32Simt,             // the fused kernel's loop: lane = example, warp = k-slice, HP hidden units in registers
    Tf32x3Mma,            // warp = k-slice (k-steps w, w + 8, ...), all 2 x 4 mma tiles of the 32 x 32 output
    Tf32Mma,              // the same with plain TF32 (one mma instead of three): what the split costs
    Tf32x3MmaSplitTheta,  // Tf32x3Mma with Theta1 split into hi and lo once, when it is staged (as a
                          // kernel that keeps Theta1 in shared memory could): the same bits as Tf32x3Mma
};

// The largest hidden layer the benchmark kernels take (the seed's 25 rounded up to a multiple of 4).
inline constexpr int kTileProductMaxHidden = 28;

// Dynamic shared memory one block of `method` uses for an n-input tile (the benchmark and the test
// size nothing else by it).
std::size_t tile_product_shared_bytes(TileProductMethod method, int n);

// Each of `blocks` blocks (256 threads) stages Theta1 (hidden x n, row-major) and its own tile of
// `rows` <= 32 examples, x[b rows .. (b + 1) rows - 1] ((blocks rows) x n, row-major), into shared
// memory, then computes that tile's z1 = tile Theta1^T `repetitions` times (the time a benchmark
// divides by repetitions) and writes it to z[b rows + r, j] ((blocks rows) x hidden, row-major).
// hidden <= kTileProductMaxHidden.
void seed_forward_tile_products(TileProductMethod method, int blocks, int repetitions, int rows, int n, int hidden,
                                const float* x, const float* theta1, float* z, cudaStream_t stream);

// The seed tile's gradient share grad1 = d1^T a0 (tf32x3_gradient_tile_product.cu): each block
// stages its tile, d1[b rows .. (b + 1) rows - 1] ((blocks rows) x hidden, row-major) and the same
// rows of x ((blocks rows) x n), computes d1_tile^T x_tile (hidden x n) into shared memory
// `repetitions` times and writes it to grad[b hidden n + j n + k]. Methods Fp32Simt (the fused
// kernel's grad1 loop: a thread per column), Tf32x3Mma and Tf32Mma (warps over 32-column blocks).
std::size_t gradient_tile_product_shared_bytes(TileProductMethod method, int n);
void seed_gradient_tile_products(TileProductMethod method, int blocks, int repetitions, int rows, int n, int hidden,
                                 const float* d1, const float* x, float* grad, cudaStream_t stream);

}  // namespace digitnet::kernels
