#pragma once
// One warp computes C += A B on tensor cores with float accuracy (3xTF32), for the fused kernel's
// per-tile products: the forward z1 = a0 Theta1^T (A = a0's tile, 19-32 x 401; B = Theta1^T,
// 401 x 25) and the gradient share d1^T a0 (A = d1^T, 25 x 19-32; B = a0's tile, 19-32 x 401).
//
// For every k-step k0 = k_begin, k_begin + k_stride, ... < k_end (k_stride a multiple of 8) and
// every 16 x 8 output tile (mt, nt) of the warp's (16 MTiles) x (8 NTiles) block at (row0, col0):
//   a = A[row0 + 16 mt + (0..15), k0 + (0..7)],  b = B[k0 + (0..7), col0 + 8 nt + (0..7)]
//   (a, b) -> (a_hi + a_lo, b_hi + b_lo)                  tf32_split.hpp
//   acc[mt][nt] += a_lo b_hi;  acc += a_hi b_lo;  acc += a_hi b_hi     three mma.m16n8k8
// One accumulator takes all three, the two small products before the big one (any fixed order
// keeps float accuracy; the host model follows this one). A or B may come split in advance
// (SplitMatrixView: an operand read by many products, split once when staged).
// Each mma depends on the one before it through acc, so the order of the additions is fixed:
// the same inputs give the same bits on every run (within one mma the hardware's order is its
// own, but it is the same every time). Elements outside A's and B's rows x cols, and k >= k_end,
// read as zero: K = 401 needs no padded copy, and the zeros add nothing.
//
// Which lane loads which element is mma_fragment_layout.hpp (the PTX ISA's tables); the host
// model of this product, tests/model/tf32x3_emulation.hpp, builds the same fragments with the same
// functions. `Passes` = 1 is plain TF32 (acc += a_hi b_hi only), kept for the accuracy test and
// the benchmark's contrast, never for results.
//
// Shared-memory bank conflicts of the fragment loads (32 lanes, 4-byte banks): lane (g, t) =
// (lane / 4, lane % 4) reads A at (g [+ 8], t [+ 4]) and B at (t [+ 4], g). With a row-major A,
// a row stride = 4 (mod 8) puts the 32 reads in 32 banks (401 -> 404); with a column-major B
// (element (k, n) at n * stride + k, as Theta1 is stored), the same condition on its column
// stride. The transposed pair (column-major A such as d1^T from d1 (rows, HP); row-major B such as
// a0's tile) reads at t * stride + g: conflict-free for stride = 8 (mod 16). Other strides give
// 2-way or worse conflicts: correct, only slower.
//
// CUDA-only, sm_80 or newer (mma with .tf32); the project builds for sm_90.
#ifndef __CUDACC__
#error "tf32x3_mma.cuh holds CUDA code"
#endif

#include <cstdint>

#include "mma_fragment_layout.hpp"
#include "tf32_split.hpp"

namespace digitnet::kernels::mma {

struct FragmentA {
    std::uint32_t hi[kARegisters], lo[kARegisters];
};
struct FragmentB {
    std::uint32_t hi[kBRegisters], lo[kBRegisters];
};

// D = A B + D for one m16n8k8 tile (PTX ISA 9.7.14.5.14, mma with .tf32 operands).
__device__ __forceinline__ void mma_m16n8k8_tf32(float (&d)[kCRegisters], const std::uint32_t (&a)[kARegisters],
                                                 const std::uint32_t (&b)[kBRegisters]) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%0, %1, %2, %3};"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#else
    __trap();  // never compiled for: the project's architectures are sm_90 and newer
#endif
}

// This lane's registers of the A tile at (row0, k0) and of the B tile at (k0, col0); k >= k_end reads 0.
__device__ __forceinline__ FragmentA load_a_fragment(const MatrixView& A, int row0, int k0, int k_end, int lane) {
    FragmentA f;
#pragma unroll
    for (int i = 0; i < kARegisters; ++i) {
        const Element e = a_element(lane, i);
        const int k = k0 + e.col;
        const Tf32Split s = split_tf32(k < k_end ? A.at(row0 + e.row, k) : 0.0f);
        f.hi[i] = float_bits(s.hi);
        f.lo[i] = float_bits(s.lo);
    }
    return f;
}

__device__ __forceinline__ FragmentB load_b_fragment(const MatrixView& B, int k0, int col0, int k_end, int lane) {
    FragmentB f;
#pragma unroll
    for (int i = 0; i < kBRegisters; ++i) {
        const Element e = b_element(lane, i);
        const int k = k0 + e.row;
        const Tf32Split s = split_tf32(k < k_end ? B.at(k, col0 + e.col) : 0.0f);
        f.hi[i] = float_bits(s.hi);
        f.lo[i] = float_bits(s.lo);
    }
    return f;
}

// The same from operands split in advance: the registers are the stored parts, no cvt. Given the
// same floats, the registers (and so the products) are the same bits as the loaders above give.
__device__ __forceinline__ FragmentA load_a_fragment(const SplitMatrixView& A, int row0, int k0, int k_end, int lane) {
    FragmentA f;
#pragma unroll
    for (int i = 0; i < kARegisters; ++i) {
        const Element e = a_element(lane, i);
        const int k = k0 + e.col;
        f.hi[i] = float_bits(k < k_end ? A.hi.at(row0 + e.row, k) : 0.0f);
        f.lo[i] = float_bits(k < k_end ? A.lo.at(row0 + e.row, k) : 0.0f);
    }
    return f;
}

__device__ __forceinline__ FragmentB load_b_fragment(const SplitMatrixView& B, int k0, int col0, int k_end, int lane) {
    FragmentB f;
#pragma unroll
    for (int i = 0; i < kBRegisters; ++i) {
        const Element e = b_element(lane, i);
        const int k = k0 + e.row;
        f.hi[i] = float_bits(k < k_end ? B.hi.at(k, col0 + e.col) : 0.0f);
        f.lo[i] = float_bits(k < k_end ? B.lo.at(k, col0 + e.col) : 0.0f);
    }
    return f;
}

// acc (the warp's (16 MTiles) x (8 NTiles) block of C at (row0, col0), in fragments) += A B over
// the k-steps described at the top. Every lane of the warp must call it (mma.sync is warp-wide).
// AView and BView: MatrixView (split at each load) or SplitMatrixView (split when staged).
template <int MTiles, int NTiles, int Passes = 3, class AView, class BView>
__device__ __forceinline__ void warp_product_tf32(const AView& A, const BView& B, int row0, int col0, int k_begin,
                                                  int k_end, int k_stride, float (&acc)[MTiles][NTiles][kCRegisters],
                                                  int lane) {
    static_assert(Passes == 1 || Passes == 3, "3xTF32 (float accuracy) or 1xTF32 (the contrast)");
    for (int k0 = k_begin; k0 < k_end; k0 += k_stride) {
        FragmentA a[MTiles];
        FragmentB b[NTiles];
#pragma unroll
        for (int mt = 0; mt < MTiles; ++mt) a[mt] = load_a_fragment(A, row0 + kM * mt, k0, k_end, lane);
#pragma unroll
        for (int nt = 0; nt < NTiles; ++nt) b[nt] = load_b_fragment(B, k0, col0 + kN * nt, k_end, lane);
#pragma unroll
        for (int mt = 0; mt < MTiles; ++mt) {
#pragma unroll
            for (int nt = 0; nt < NTiles; ++nt) {
                if constexpr (Passes == 3) {
                    mma_m16n8k8_tf32(acc[mt][nt], a[mt].lo, b[nt].hi);
                    mma_m16n8k8_tf32(acc[mt][nt], a[mt].hi, b[nt].lo);
                }
                mma_m16n8k8_tf32(acc[mt][nt], a[mt].hi, b[nt].hi);
            }
        }
    }
}

template <int MTiles, int NTiles>
__device__ __forceinline__ void zero_accumulators(float (&acc)[MTiles][NTiles][kCRegisters]) {
#pragma unroll
    for (int mt = 0; mt < MTiles; ++mt) {
#pragma unroll
        for (int nt = 0; nt < NTiles; ++nt) {
#pragma unroll
            for (int i = 0; i < kCRegisters; ++i) acc[mt][nt][i] = 0.0f;
        }
    }
}

// C[row0 + .., col0 + ..] = acc (this lane's elements; those outside C's rows x cols are dropped).
template <int MTiles, int NTiles>
__device__ __forceinline__ void store_accumulators(const MutableMatrixView& C, int row0, int col0,
                                                   const float (&acc)[MTiles][NTiles][kCRegisters], int lane) {
#pragma unroll
    for (int mt = 0; mt < MTiles; ++mt) {
#pragma unroll
        for (int nt = 0; nt < NTiles; ++nt) {
#pragma unroll
            for (int i = 0; i < kCRegisters; ++i) {
                const Element e = c_element(lane, i);
                C.set(row0 + kM * mt + e.row, col0 + kN * nt + e.col, acc[mt][nt][i]);
            }
        }
    }
}

}  // namespace digitnet::kernels::mma
