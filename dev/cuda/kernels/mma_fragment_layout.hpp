#pragma once
// Which lane of a warp holds which element of the A, B and C/D matrices of one
// `mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32` (D = A B + C; A 16 x 8, B 8 x 8, C/D 16 x 8),
// and the inverse maps, written once for the device code (tf32x3_mma.cuh) and the host model of
// the warp product (tests/model/tf32x3_emulation.hpp), which checks them against each other.
//
// Source: PTX ISA, section 9.7.14.5.7 "Matrix Fragments for mma.m16n8k8", the .tf32 tables
// (Figures 72, 75 and 77), with groupID = laneid >> 2 and threadID_in_group = laneid % 4:
//   A (a0..a3):  row = groupID (a0, a2), groupID + 8 (a1, a3);
//                col = threadID_in_group (a0, a1), threadID_in_group + 4 (a2, a3)
//   B (b0, b1):  row = threadID_in_group (b0), threadID_in_group + 4 (b1);  col = groupID
//   C/D (c0..c3): row = groupID (c0, c1), groupID + 8 (c2, c3);  col = threadID_in_group * 2 + (i & 1)
// "row.col" in the instruction names the operands' fragment layouts, not how our matrices are
// stored: the loaders read each element through a MatrixView, whatever its strides.
//
// Plain C++ with __host__ __device__ where nvcc compiles it: the host tests include it as is.
#if defined(__CUDACC__)
#define DIGITNET_MMA_MATH __host__ __device__
#else
#define DIGITNET_MMA_MATH
#endif

namespace digitnet::kernels::mma {

inline constexpr int kWarpSize = 32;
// The shape of one mma.m16n8k8.
inline constexpr int kM = 16;
inline constexpr int kN = 8;
inline constexpr int kK = 8;
// Registers (32-bit) each lane holds: 16 * 8 / 32 of A, 8 * 8 / 32 of B, 16 * 8 / 32 of C.
inline constexpr int kARegisters = 4;
inline constexpr int kBRegisters = 2;
inline constexpr int kCRegisters = 4;

// An element of a fragment: its (row, col) in the 16 x 8 (A, C) or 8 x 8 (B) matrix.
struct Element {
    int row, col;
};
// Who holds an element: the lane and the index of the register in that lane's fragment.
struct Owner {
    int lane, reg;
};

DIGITNET_MMA_MATH constexpr int group_id(int lane) { return lane >> 2; }
DIGITNET_MMA_MATH constexpr int thread_in_group(int lane) { return lane & 3; }

// A (16 x 8, rows = M, cols = K): register i of `lane`.
DIGITNET_MMA_MATH constexpr Element a_element(int lane, int i) {
    return {group_id(lane) + 8 * (i & 1), thread_in_group(lane) + 4 * (i >> 1)};
}
// B (8 x 8, rows = K, cols = N): register i of `lane`.
DIGITNET_MMA_MATH constexpr Element b_element(int lane, int i) {
    return {thread_in_group(lane) + 4 * i, group_id(lane)};
}
// C and D (16 x 8, rows = M, cols = N): register i of `lane`.
DIGITNET_MMA_MATH constexpr Element c_element(int lane, int i) {
    return {group_id(lane) + 8 * (i >> 1), 2 * thread_in_group(lane) + (i & 1)};
}

// The inverses: which (lane, register) holds element (row, col).
DIGITNET_MMA_MATH constexpr Owner a_owner(int row, int col) {
    return {4 * (row & 7) + (col & 3), (row >> 3) + 2 * (col >> 2)};
}
DIGITNET_MMA_MATH constexpr Owner b_owner(int row, int col) { return {4 * col + (row & 3), row >> 2}; }
DIGITNET_MMA_MATH constexpr Owner c_owner(int row, int col) {
    return {4 * (row & 7) + (col >> 1), 2 * (row >> 3) + (col & 1)};
}

// A read-only matrix anywhere (shared memory on the device, a vector on the host): element (r, c)
// at data[r * row_stride + c * col_stride], so row-major (col_stride 1), column-major (row_stride
// 1) and transposed views are all the same type. Reads outside rows x cols give zero: that is how
// the warp product pads M, N and K to whole mma tiles (K = 401 = 50 * 8 + 1) without padded copies.
struct MatrixView {
    const float* data;
    int rows, cols;
    int row_stride, col_stride;
    DIGITNET_MMA_MATH float at(int r, int c) const {
        return r < rows && c < cols ? data[r * row_stride + c * col_stride] : 0.0f;
    }
};

// A matrix already split into TF32 parts (tf32_split.hpp), element (r, c) = hi.at(r, c) + lo.at(r, c),
// both TF32 numbers stored as floats: for an operand that many products read (Theta1 in a kernel
// that keeps it in shared memory), split once when it is staged instead of at every fragment load.
struct SplitMatrixView {
    MatrixView hi, lo;
};

// The same for writing the product; writes outside rows x cols are dropped.
struct MutableMatrixView {
    float* data;
    int rows, cols;
    int row_stride, col_stride;
    DIGITNET_MMA_MATH void set(int r, int c, float value) const {
        if (r < rows && c < cols) data[r * row_stride + c * col_stride] = value;
    }
};

}  // namespace digitnet::kernels::mma
