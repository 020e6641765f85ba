// The mixed precisions' GEMMs on the CPU: rounding, and the choice between sgemm on rounded floats
// and OpenBLAS's cblas_sbgemm (see gemm_inputs.hpp).
#include "gemm_inputs.hpp"

#include <dlfcn.h>

#include <vector>

namespace digitnet::cpu {

namespace {

// cblas_sbgemm's signature (OpenBLAS's bfloat16 is a uint16_t holding the top half of a float).
using SbgemmFunction = void (*)(CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, blasint, blasint, blasint, float,
                                const std::uint16_t*, blasint, const std::uint16_t*, blasint, float, float*, blasint);

// Looked up at run time, not linked: the same binary runs on an OpenBLAS built without BF16.
SbgemmFunction find_sbgemm() {
    if (!__builtin_cpu_supports("avx512bf16")) return nullptr;
    return reinterpret_cast<SbgemmFunction>(dlsym(RTLD_DEFAULT, "cblas_sbgemm"));
}

SbgemmFunction sbgemm() {
    static const SbgemmFunction function = find_sbgemm();
    return function;
}

// The bfloat16 storage of `count` floats already rounded to BF16 values: their top halves, exact.
void to_bfloat16(const float* from, std::size_t count, std::vector<std::uint16_t>& to) {
    to.resize(count);
    for (std::size_t j = 0; j < count; ++j)
        to[j] = static_cast<std::uint16_t>(std::bit_cast<std::uint32_t>(from[j]) >> 16);
}

// How many elements a row-major operand of `rows` x `cols` (as stored) with leading dimension ld spans.
std::size_t span_of(int rows, int cols, int ld) {
    return rows == 0
               ? 0
               : static_cast<std::size_t>(rows - 1) * static_cast<std::size_t>(ld) + static_cast<std::size_t>(cols);
}

}  // namespace

GemmInputs gemm_inputs_for(Precision precision) {
    if (precision == Precision::Tf32) return GemmInputs::Tf32;
    if (precision == Precision::Bf16) return GemmInputs::Bf16;
    return GemmInputs::Exact;
}

void copy_rounded(GemmInputs mode, const float* from, float* to, std::size_t n) {
    if (mode == GemmInputs::Tf32) {
        for (std::size_t j = 0; j < n; ++j) to[j] = round_to_tf32(from[j]);
    } else if (mode == GemmInputs::Bf16) {
        for (std::size_t j = 0; j < n; ++j) to[j] = round_to_bf16(from[j]);
    } else if (from != to) {
        for (std::size_t j = 0; j < n; ++j) to[j] = from[j];
    }
}

bool native_bf16_gemm() { return sbgemm() != nullptr; }

void gemm_rounded(GemmInputs mode, CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, int M, int N, int K, float alpha,
                  const float* A, int lda, const float* B, int ldb, float beta, float* C, int ldc) {
    if (mode == GemmInputs::Bf16 && native_bf16_gemm()) {
        thread_local std::vector<std::uint16_t> a16, b16;
        to_bfloat16(A, trans_a == CblasNoTrans ? span_of(M, K, lda) : span_of(K, M, lda), a16);
        to_bfloat16(B, trans_b == CblasNoTrans ? span_of(K, N, ldb) : span_of(N, K, ldb), b16);
        sbgemm()(CblasRowMajor, trans_a, trans_b, M, N, K, alpha, a16.data(), lda, b16.data(), ldb, beta, C, ldc);
        return;
    }
    cblas_sgemm(CblasRowMajor, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

std::string describe_gemm_inputs(GemmInputs mode) {
    switch (mode) {
        case GemmInputs::Tf32:
            return "tf32 GEMM inputs emulated: rounded to nearest even, FP32 sgemm";
        case GemmInputs::Bf16:
            return native_bf16_gemm() ? "bf16 GEMM inputs: cblas_sbgemm on AVX512-BF16"
                                      : "bf16 GEMM inputs emulated: rounded to nearest even, FP32 sgemm";
        case GemmInputs::Exact:
            break;
    }
    return "";
}

}  // namespace digitnet::cpu
