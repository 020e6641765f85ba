#pragma once
// The host model of one warp's 3xTF32 product (kernels/common/tf32x3_mma.cuh), for the CPU test
// (tests/model/test_tf32x3_model.cpp) and the GPU test (tests/cuda/test_cuda_tf32x3.cpp), and the
// products on the fused kernel's shapes that both run.
//
// The model keeps the 32 lanes' registers as the device does: each k-step's fragments are loaded
// with the same index functions (mma_fragment_layout.hpp) and split with the same rounding
// (tf32_split.hpp), and each mma is computed from the registers through the inverse maps, i.e.
// from the PTX ISA's definition of what the instruction multiplies. So a wrong map, a wrong split
// or a wrong order of the three products shows here, without a GPU. The one thing it cannot know
// is the order in which the tensor core adds the 8 products of an mma (the PTX ISA leaves it
// unspecified): the model adds them in k order in float, so the device may differ from it in the
// last bits, never by more than float rounding of the accumulation.
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "mma_fragment_layout.hpp"
#include "tf32_split.hpp"

namespace digitnet::testing {

namespace mma = kernels::mma;

struct WarpFragmentsA {
    std::uint32_t hi[mma::kWarpSize][mma::kARegisters], lo[mma::kWarpSize][mma::kARegisters];
};
struct WarpFragmentsB {
    std::uint32_t hi[mma::kWarpSize][mma::kBRegisters], lo[mma::kWarpSize][mma::kBRegisters];
};
using WarpAccumulator = float[mma::kWarpSize][mma::kCRegisters];

// What load_a_fragment / load_b_fragment give each lane (k >= k_end reads zero).
inline WarpFragmentsA model_a_fragments(const mma::MatrixView& A, int row0, int k0, int k_end) {
    WarpFragmentsA f{};
    for (int lane = 0; lane < mma::kWarpSize; ++lane) {
        for (int i = 0; i < mma::kARegisters; ++i) {
            const mma::Element e = mma::a_element(lane, i);
            const int k = k0 + e.col;
            const kernels::Tf32Split s = kernels::split_tf32(k < k_end ? A.at(row0 + e.row, k) : 0.0f);
            f.hi[lane][i] = kernels::float_bits(s.hi);
            f.lo[lane][i] = kernels::float_bits(s.lo);
        }
    }
    return f;
}

inline WarpFragmentsB model_b_fragments(const mma::MatrixView& B, int k0, int col0, int k_end) {
    WarpFragmentsB f{};
    for (int lane = 0; lane < mma::kWarpSize; ++lane) {
        for (int i = 0; i < mma::kBRegisters; ++i) {
            const mma::Element e = mma::b_element(lane, i);
            const int k = k0 + e.row;
            const kernels::Tf32Split s = kernels::split_tf32(k < k_end ? B.at(k, col0 + e.col) : 0.0f);
            f.hi[lane][i] = kernels::float_bits(s.hi);
            f.lo[lane][i] = kernels::float_bits(s.lo);
        }
    }
    return f;
}

// D = A B + D for one mma.m16n8k8 (PTX ISA 9.7.14.5.14), from the warp's registers: element (r, c)
// of D lives in c_owner(r, c), A(r, k) in a_owner(r, k), B(k, c) in b_owner(k, c). Products of
// TF32 numbers (11 significant bits each) are exact in float; the sum is in k order.
inline void model_mma(WarpAccumulator& d, const std::uint32_t (&a)[mma::kWarpSize][mma::kARegisters],
                      const std::uint32_t (&b)[mma::kWarpSize][mma::kBRegisters]) {
    float out[mma::kWarpSize][mma::kCRegisters];
    for (int r = 0; r < mma::kM; ++r) {
        for (int c = 0; c < mma::kN; ++c) {
            const mma::Owner at = mma::c_owner(r, c);
            float sum = d[at.lane][at.reg];
            for (int k = 0; k < mma::kK; ++k) {
                const mma::Owner ia = mma::a_owner(r, k);
                const mma::Owner ib = mma::b_owner(k, c);
                sum += kernels::bits_float(a[ia.lane][ia.reg]) * kernels::bits_float(b[ib.lane][ib.reg]);
            }
            out[at.lane][at.reg] = sum;
        }
    }
    for (int lane = 0; lane < mma::kWarpSize; ++lane) {
        for (int i = 0; i < mma::kCRegisters; ++i) d[lane][i] = out[lane][i];
    }
}

// C (A.rows x B.cols, row-major) = A B as warp_product_kernel computes it: blocks of 32 x 32
// (2 x 4 mma tiles), k-steps of 8 over K = A.cols, per tile a_lo b_hi, a_hi b_lo, a_hi b_hi
// (passes 3) or a_hi b_hi alone (passes 1).
inline std::vector<float> model_warp_product(int passes, const mma::MatrixView& A, const mma::MatrixView& B) {
    const int M = A.rows, N = B.cols, K = A.cols;
    std::vector<float> C(std::size_t(M) * N);
    const mma::MutableMatrixView out{C.data(), M, N, N, 1};
    for (int row0 = 0; row0 < M; row0 += 32) {
        for (int col0 = 0; col0 < N; col0 += 32) {
            WarpAccumulator acc[2][4] = {};
            for (int k0 = 0; k0 < K; k0 += mma::kK) {
                WarpFragmentsA a[2];
                WarpFragmentsB b[4];
                for (int mt = 0; mt < 2; ++mt) a[mt] = model_a_fragments(A, row0 + mma::kM * mt, k0, K);
                for (int nt = 0; nt < 4; ++nt) b[nt] = model_b_fragments(B, k0, col0 + mma::kN * nt, K);
                for (int mt = 0; mt < 2; ++mt) {
                    for (int nt = 0; nt < 4; ++nt) {
                        if (passes == 3) {
                            model_mma(acc[mt][nt], a[mt].lo, b[nt].hi);
                            model_mma(acc[mt][nt], a[mt].hi, b[nt].lo);
                        }
                        model_mma(acc[mt][nt], a[mt].hi, b[nt].hi);
                    }
                }
            }
            for (int mt = 0; mt < 2; ++mt)
                for (int nt = 0; nt < 4; ++nt)
                    for (int lane = 0; lane < mma::kWarpSize; ++lane)
                        for (int i = 0; i < mma::kCRegisters; ++i) {
                            const mma::Element e = mma::c_element(lane, i);
                            out.set(row0 + mma::kM * mt + e.row, col0 + mma::kN * nt + e.col, acc[mt][nt][lane][i]);
                        }
        }
    }
    return C;
}

// The same product as an FP32 SIMT loop computes it: one float accumulator per entry, k in order.
inline std::vector<float> fp32_loop_product(const mma::MatrixView& A, const mma::MatrixView& B) {
    std::vector<float> C(std::size_t(A.rows) * B.cols);
    for (int r = 0; r < A.rows; ++r)
        for (int c = 0; c < B.cols; ++c) {
            float sum = 0.0f;
            for (int k = 0; k < A.cols; ++k) sum += A.at(r, k) * B.at(k, c);
            C[std::size_t(r) * B.cols + c] = sum;
        }
    return C;
}

// The exact product (in double) and |A| |B|, the scale each entry's rounding error is measured in.
struct ExactProduct {
    std::vector<double> value, magnitude;
};
inline ExactProduct exact_product(const mma::MatrixView& A, const mma::MatrixView& B) {
    ExactProduct p{std::vector<double>(std::size_t(A.rows) * B.cols),
                   std::vector<double>(std::size_t(A.rows) * B.cols)};
    for (int r = 0; r < A.rows; ++r)
        for (int c = 0; c < B.cols; ++c) {
            double sum = 0.0, magnitude = 0.0;
            for (int k = 0; k < A.cols; ++k) {
                const double term = double(A.at(r, k)) * B.at(k, c);
                sum += term;
                magnitude += std::fabs(term);
            }
            p.value[std::size_t(r) * B.cols + c] = sum;
            p.magnitude[std::size_t(r) * B.cols + c] = magnitude;
        }
    return p;
}

// max over entries of |C - exact| / (|A| |B|): the worst error in units of the entry's own scale
// (an FP32 dot product of length K stays below about K 2^-24 of it, and typically sqrt(K) 2^-24).
inline double worst_scaled_error(const std::vector<float>& C, const ExactProduct& exact) {
    double worst = 0.0;
    for (std::size_t i = 0; i < C.size(); ++i) {
        if (exact.magnitude[i] == 0.0) continue;
        worst = std::fmax(worst, std::fabs(C[i] - exact.value[i]) / exact.magnitude[i]);
    }
    return worst;
}

// ||C - exact|| / ||exact|| (Frobenius): the error relative to the product's size.
inline double relative_error(const std::vector<float>& C, const ExactProduct& exact) {
    double error = 0.0, size = 0.0;
    for (std::size_t i = 0; i < C.size(); ++i) {
        error += (C[i] - exact.value[i]) * (C[i] - exact.value[i]);
        size += exact.value[i] * exact.value[i];
    }
    return size > 0.0 ? std::sqrt(error / size) : std::sqrt(error);
}

// The fused kernel's two products at the seed's sizes (tiles of 19 and 32 examples, 401 inputs
// with the bias, 25 hidden units, Theta1^T as read from Theta1 (25, 401), d1 (rows, 28)), stored
// as the kernel stores them, with seed-like values: a0 in [0, 1) with the bias column 1, Theta1
// and d1 in [-0.12, 0.12) (the initial weights' range); and one case of uniform [-1, 1) on both.
struct ProductCase {
    std::string name;
    int M, N, K;
    bool transposed;  // false: A row-major a0 tile (stride a_stride), B = Theta1^T (column-major)
                      // true:  A = d1^T (column-major, d1 (K, 28)), B = a0 tile (row-major)
    int a0_stride;    // the a0 tile's row stride in memory (>= its 401 columns)
    bool uniform;     // values uniform in [-1, 1) instead of seed-like
};

inline std::vector<ProductCase> fused_kernel_product_cases() {
    return {
        {"forward_19x25x401", 19, 25, 401, false, 404, false},
        {"forward_32x28x401", 32, 28, 401, false, 401, false},
        {"forward_32x28x401_uniform", 32, 28, 401, false, 404, true},
        {"gradient_25x401x19", 25, 401, 19, true, 401, false},
        {"gradient_28x401x32", 28, 401, 32, true, 404, false},
    };
}

// A case's operands: storage and the views the warp product reads (row-major or column-major).
struct ProductOperands {
    std::vector<float> a_storage, b_storage;
    mma::MatrixView A, B;
};

inline ProductOperands make_operands(const ProductCase& c, unsigned seed) {
    std::mt19937 generator(seed);
    std::uniform_real_distribution<float> unit(0.0f, 1.0f), symmetric(-1.0f, 1.0f);
    const auto small = [&] { return c.uniform ? symmetric(generator) : 0.12f * symmetric(generator); };
    const auto input = [&](int column) {
        return c.uniform ? symmetric(generator) : column == 0 ? 1.0f : unit(generator);
    };
    ProductOperands p;
    if (!c.transposed) {
        // A = a0 tile (M, K) with stride a0_stride; B(k, j) = Theta1[j][k], Theta1 (N, K) row-major.
        p.a_storage.assign(std::size_t(c.M) * c.a0_stride, 0.0f);
        for (int r = 0; r < c.M; ++r)
            for (int k = 0; k < c.K; ++k) p.a_storage[std::size_t(r) * c.a0_stride + k] = input(k);
        p.b_storage.resize(std::size_t(c.N) * c.K);
        for (float& v : p.b_storage) v = small();
        p.A = {p.a_storage.data(), c.M, c.K, c.a0_stride, 1};
        p.B = {p.b_storage.data(), c.K, c.N, 1, c.K};
    } else {
        // A(j, r) = d1[r][j], d1 (K, 28) row-major; B = a0 tile (K, N) with stride a0_stride.
        constexpr int kPadded = 28;
        p.a_storage.assign(std::size_t(c.K) * kPadded, 0.0f);
        for (int r = 0; r < c.K; ++r)
            for (int j = 0; j < c.M; ++j) p.a_storage[std::size_t(r) * kPadded + j] = small();
        p.b_storage.assign(std::size_t(c.K) * c.a0_stride, 0.0f);
        for (int r = 0; r < c.K; ++r)
            for (int k = 0; k < c.N; ++k) p.b_storage[std::size_t(r) * c.a0_stride + k] = input(k);
        p.A = {p.a_storage.data(), c.M, c.K, 1, kPadded};
        p.B = {p.b_storage.data(), c.K, c.N, c.a0_stride, 1};
    }
    return p;
}

}  // namespace digitnet::testing
