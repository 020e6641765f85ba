// cuBLAS GEMM rows of digitnet_bench (see bench_cublas.hpp).
//
// Each timed step is `kGemmsPerStep` back-to-back GEMMs on one stream between two CUDA events;
// the event time over kGemmsPerStep is reported through UseManualTime. Inputs are uniform random
// in [-1, 1) (never zeros, which can run faster than real data), generated once on the host.
//
// The precisions are the CUDA backend's calls (host/cuda/cublas_gemm.hpp): float and double with
// CUBLAS_DEFAULT_MATH (no TF32), tf32 as cublasGemmEx on FP32 data with
// CUBLAS_COMPUTE_32F_FAST_TF32, bf16 as cublasGemmEx on BF16 inputs with FP32 accumulation and
// output. The /ld8 rows are the same products with every leading dimension rounded up to a
// multiple of 8 (785 -> 792, 4097 -> 4104): the backend's matrices with a bias row have odd leading
// dimensions, and tensor-core kernels may want 16-byte aligned columns; the pair says whether
// padding them would pay.
#include "bench_cublas.hpp"

#include <benchmark/benchmark.h>
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "cuda/cuda_handles.hpp"
#include "cuda/device_buffer.hpp"
#include "cuda_check.hpp"

namespace digitnet::bench {
namespace {

using cuda::DeviceBuffer;

constexpr int kGemmsPerStep = 10;

// C (m x n) = op(A) op(B), column-major, as cuBLAS sees it.
struct GemmShape {
    const char* name;
    cublasOperation_t transa, transb;
    int m, n, k;
    int iterations;  // timed steps: fewer for the products that take tens of milliseconds
};

// The large configuration (60000 x 784 -> 1024 -> 10) and the wide one (784 -> 4096 -> 4096 -> 10)
// in the backend's calls (row-major data seen as column-major): forward z = Theta a over all
// examples and the gradient d^T a of the biggest layers, and a square product for the device's
// headline rate.
constexpr GemmShape kShapes[] = {
    {"large_forward_1024x60000x785", CUBLAS_OP_T, CUBLAS_OP_N, 1024, 60000, 785, 20},
    {"large_gradient_785x1024x60000", CUBLAS_OP_N, CUBLAS_OP_T, 785, 1024, 60000, 20},
    {"wide_forward_4096x60000x4097", CUBLAS_OP_T, CUBLAS_OP_N, 4096, 60000, 4097, 5},
    {"wide_gradient_4097x4096x60000", CUBLAS_OP_N, CUBLAS_OP_T, 4097, 4096, 60000, 5},
    {"square_8192", CUBLAS_OP_N, CUBLAS_OP_N, 8192, 8192, 8192, 20},
};

enum class GemmPrecision { Float, Double, Tf32, Bf16 };

const char* name_of(GemmPrecision precision) {
    switch (precision) {
        case GemmPrecision::Float:
            return "float";
        case GemmPrecision::Double:
            return "double";
        case GemmPrecision::Tf32:
            return "tf32";
        case GemmPrecision::Bf16:
            return "bf16";
    }
    return "?";
}

// Bytes of one input element and of one output element.
std::size_t input_bytes(GemmPrecision precision) {
    return precision == GemmPrecision::Double ? 8 : precision == GemmPrecision::Bf16 ? 2 : 4;
}
std::size_t output_bytes(GemmPrecision precision) { return precision == GemmPrecision::Double ? 8 : 4; }

// BF16 of x, rounded to nearest even (finite x only: the inputs are in [-1, 1)).
std::uint16_t to_bf16(float x) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, &x, sizeof bits);
    bits += 0x7FFFu + ((bits >> 16) & 1u);
    return static_cast<std::uint16_t>(bits >> 16);
}

// `count` uniform values in [-1, 1) on the device, in the precision's input format.
DeviceBuffer<unsigned char> random_device_matrix(GemmPrecision precision, std::size_t count, std::uint64_t seed) {
    std::mt19937_64 generator(seed);
    std::uniform_real_distribution<double> value(-1, 1);
    std::vector<unsigned char> host(count * input_bytes(precision));
    for (std::size_t i = 0; i < count; ++i) {
        const double v = value(generator);
        unsigned char* at = host.data() + i * input_bytes(precision);
        if (precision == GemmPrecision::Double) {
            std::memcpy(at, &v, sizeof v);
        } else if (precision == GemmPrecision::Bf16) {
            const std::uint16_t b = to_bf16(static_cast<float>(v));
            std::memcpy(at, &b, sizeof b);
        } else {
            const float f = static_cast<float>(v);
            std::memcpy(at, &f, sizeof f);
        }
    }
    DeviceBuffer<unsigned char> device(host.size(), "a benchmark matrix");
    CUDA_CHECK(cudaMemcpy(device.data(), host.data(), host.size(), cudaMemcpyHostToDevice));
    return device;
}

struct Operands {
    const void *A, *B;
    void* C;
    int lda, ldb, ldc;
};

cublasStatus_t gemm(cublasHandle_t handle, GemmPrecision precision, const GemmShape& s, const Operands& o) {
    const float one_f = 1, zero_f = 0;
    const double one_d = 1, zero_d = 0;
    switch (precision) {
        case GemmPrecision::Float:
            return cublasSgemm(handle, s.transa, s.transb, s.m, s.n, s.k, &one_f, static_cast<const float*>(o.A), o.lda,
                               static_cast<const float*>(o.B), o.ldb, &zero_f, static_cast<float*>(o.C), o.ldc);
        case GemmPrecision::Double:
            return cublasDgemm(handle, s.transa, s.transb, s.m, s.n, s.k, &one_d, static_cast<const double*>(o.A),
                               o.lda, static_cast<const double*>(o.B), o.ldb, &zero_d, static_cast<double*>(o.C),
                               o.ldc);
        case GemmPrecision::Tf32:
            return cublasGemmEx(handle, s.transa, s.transb, s.m, s.n, s.k, &one_f, o.A, CUDA_R_32F, o.lda, o.B,
                                CUDA_R_32F, o.ldb, &zero_f, o.C, CUDA_R_32F, o.ldc, CUBLAS_COMPUTE_32F_FAST_TF32,
                                CUBLAS_GEMM_DEFAULT);
        case GemmPrecision::Bf16:
            return cublasGemmEx(handle, s.transa, s.transb, s.m, s.n, s.k, &one_f, o.A, CUDA_R_16BF, o.lda, o.B,
                                CUDA_R_16BF, o.ldb, &zero_f, o.C, CUDA_R_32F, o.ldc, CUBLAS_COMPUTE_32F,
                                CUBLAS_GEMM_DEFAULT);
    }
    return CUBLAS_STATUS_INVALID_VALUE;
}

int rounded_up_to_8(int n) { return (n + 7) / 8 * 8; }

void cublas_gemm(benchmark::State& state, GemmShape shape, GemmPrecision precision, bool padded) {
    try {
        // op(A) is m x k, op(B) is k x n; each stored column-major with its leading dimension, as
        // given or rounded up to a multiple of 8 (the rows past the matrix are never read).
        const int a_rows = shape.transa == CUBLAS_OP_T ? shape.k : shape.m;
        const int a_cols = shape.transa == CUBLAS_OP_T ? shape.m : shape.k;
        const int b_rows = shape.transb == CUBLAS_OP_T ? shape.n : shape.k;
        const int b_cols = shape.transb == CUBLAS_OP_T ? shape.k : shape.n;
        const int lda = padded ? rounded_up_to_8(a_rows) : a_rows;
        const int ldb = padded ? rounded_up_to_8(b_rows) : b_rows;
        const int ldc = padded ? rounded_up_to_8(shape.m) : shape.m;
        const auto A = random_device_matrix(precision, std::size_t(lda) * a_cols, 1);
        const auto B = random_device_matrix(precision, std::size_t(ldb) * b_cols, 2);
        DeviceBuffer<unsigned char> C(std::size_t(ldc) * shape.n * output_bytes(precision), "a benchmark product");
        const Operands operands{A.data(), B.data(), C.data(), lda, ldb, ldc};

        const cuda::Stream stream = cuda::make_stream();
        cublasHandle_t raw_handle = nullptr;
        CUBLAS_CHECK(cublasCreate(&raw_handle));
        const cuda::Cublas handle(raw_handle);
        CUBLAS_CHECK(cublasSetStream(handle.get(), stream.get()));
        CUBLAS_CHECK(cublasSetMathMode(handle.get(), CUBLAS_DEFAULT_MATH));
        cudaEvent_t raw_start = nullptr, raw_stop = nullptr;
        CUDA_CHECK(cudaEventCreate(&raw_start));
        const cuda::Event start(raw_start);
        CUDA_CHECK(cudaEventCreate(&raw_stop));
        const cuda::Event stop(raw_stop);

        for (int i = 0; i < 3; ++i)  // warm-up: cuBLAS's heuristics and kernel loading
            CUBLAS_CHECK(gemm(handle.get(), precision, shape, operands));
        CUDA_CHECK(cudaStreamSynchronize(stream.get()));

        for (auto _ : state) {
            CUDA_CHECK(cudaEventRecord(start.get(), stream.get()));
            for (int i = 0; i < kGemmsPerStep; ++i) CUBLAS_CHECK(gemm(handle.get(), precision, shape, operands));
            CUDA_CHECK(cudaEventRecord(stop.get(), stream.get()));
            CUDA_CHECK(cudaEventSynchronize(stop.get()));
            float milliseconds = 0;
            CUDA_CHECK(cudaEventElapsedTime(&milliseconds, start.get(), stop.get()));
            state.SetIterationTime(milliseconds * 1e-3 / kGemmsPerStep);
        }
        state.counters["FLOP"] = benchmark::Counter(2.0 * shape.m * shape.n * double(shape.k),
                                                    benchmark::Counter::kIsIterationInvariantRate);
        state.SetLabel(std::to_string(shape.m) + "x" + std::to_string(shape.n) + "x" + std::to_string(shape.k) +
                       ", ld " + std::to_string(lda) + "/" + std::to_string(ldb) + "/" + std::to_string(ldc) +
                       ", CUDA events over " + std::to_string(kGemmsPerStep) + " GEMMs");
    } catch (const std::exception& e) {
        state.SkipWithError(e.what());
    }
}

}  // namespace

void register_cublas_benchmarks() {
    for (const GemmShape& shape : kShapes) {
        const bool wide = std::strncmp(shape.name, "wide", 4) == 0;
        for (const GemmPrecision precision :
             {GemmPrecision::Float, GemmPrecision::Double, GemmPrecision::Tf32, GemmPrecision::Bf16}) {
            // The wide configuration runs in float, tf32 and bf16 only (as gpu/wide does).
            if (wide && precision == GemmPrecision::Double) continue;
            const bool tensor_cores = precision == GemmPrecision::Tf32 || precision == GemmPrecision::Bf16;
            const bool odd = shape.m % 8 != 0 || shape.k % 8 != 0;
            for (const bool padded : {false, true}) {
                if (padded && !(tensor_cores && odd)) continue;
                const std::string name =
                    std::string("gpu/cublas/") + shape.name + "/" + name_of(precision) + (padded ? "/ld8" : "");
                benchmark::RegisterBenchmark(name.c_str(), cublas_gemm, shape, precision, padded)
                    ->UseManualTime()
                    ->Iterations(precision == GemmPrecision::Double ? 5 : shape.iterations)
                    ->Unit(benchmark::kMillisecond);
            }
        }
    }
}

}  // namespace digitnet::bench
