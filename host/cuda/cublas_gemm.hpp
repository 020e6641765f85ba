#pragma once
// cublasSgemm and cublasDgemm under one name, so that the passes are written once for float and
// double; and the GEMM of a precision (the mixed ones on tensor cores through cublasGemmEx).
#include <cublas_v2.h>

#include <cstdint>
#include <type_traits>

#include "digitnet/model/backend.hpp"

namespace digitnet::cuda {

inline cublasStatus_t gemm(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n,
                           int k, const float* alpha, const float* A, int lda, const float* B, int ldb,
                           const float* beta, float* C, int ldc) {
    return cublasSgemm(handle, transa, transb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}
inline cublasStatus_t gemm(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n,
                           int k, const double* alpha, const double* A, int lda, const double* B, int ldb,
                           const double* beta, double* C, int ldc) {
    return cublasDgemm(handle, transa, transb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

// A GEMM operand: its values in T and, in --precision bf16, their BF16 copy (null otherwise).
template <class T>
struct GemmInput {
    const T* value;
    const std::uint16_t* bf16 = nullptr;
};

// C = alpha op(A) op(B) + beta C in the network's precision (DESIGN.md, "Precisions"):
//   float, double  cublasSgemm / cublasDgemm on A.value and B.value;
//   tf32           cublasGemmEx on the FP32 values with CUBLAS_COMPUTE_32F_FAST_TF32: the tensor
//                  cores read the inputs as TF32 and accumulate in FP32;
//   bf16           cublasGemmEx on the BF16 copies (CUDA_R_16BF), FP32 accumulation and output
//                  (CUBLAS_COMPUTE_32F).
// alpha and beta are T, in the handle's pointer mode.
template <class T>
cublasStatus_t gemm(cublasHandle_t handle, Precision precision, cublasOperation_t transa, cublasOperation_t transb,
                    int m, int n, int k, const T* alpha, GemmInput<T> A, int lda, GemmInput<T> B, int ldb,
                    const T* beta, T* C, int ldc) {
    if constexpr (std::is_same_v<T, float>) {
        if (precision == Precision::Tf32)
            return cublasGemmEx(handle, transa, transb, m, n, k, alpha, A.value, CUDA_R_32F, lda, B.value, CUDA_R_32F,
                                ldb, beta, C, CUDA_R_32F, ldc, CUBLAS_COMPUTE_32F_FAST_TF32, CUBLAS_GEMM_DEFAULT);
        if (precision == Precision::Bf16)
            return cublasGemmEx(handle, transa, transb, m, n, k, alpha, A.bf16, CUDA_R_16BF, lda, B.bf16, CUDA_R_16BF,
                                ldb, beta, C, CUDA_R_32F, ldc, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    }
    return gemm(handle, transa, transb, m, n, k, alpha, A.value, lda, B.value, ldb, beta, C, ldc);
}

}  // namespace digitnet::cuda
