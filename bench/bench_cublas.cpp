// cuBLAS GEMM rows of digitnet_bench (see bench_cublas.hpp).
//
// Each timed step is `kGemmsPerStep` back-to-back GEMMs on one stream between two CUDA events;
// the event time over kGemmsPerStep is reported through UseManualTime. Inputs are uniform random
// in [-1, 1) (never zeros, which can run faster than real data), generated once on the host.
// Math mode is CUBLAS_DEFAULT_MATH, as in the CUDA backend: full float, no TF32.
#include "bench_cublas.hpp"

#include <benchmark/benchmark.h>
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstddef>
#include <memory>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "cuda_check.hpp"
#include "cuda/cuda_handles.hpp"
#include "cuda/device_buffer.hpp"

namespace digitnet::bench {
namespace {

using cuda::DeviceBuffer;

constexpr int kGemmsPerStep = 10;

// C (m x n) = op(A) op(B), column-major, as cuBLAS sees it.
struct GemmShape {
    const char* name;
    cublasOperation_t transa, transb;
    int m, n, k;
};

// The large configuration (60000 x 784 -> 1024 -> 10) in the backend's calls (row-major data seen
// as column-major): forward z1 = Theta1 a0 over all examples, the gradient grad1 = d1^T a0, and a
// square product for the device's headline rate.
constexpr GemmShape kShapes[] = {
    {"large_forward_1024x60000x785", CUBLAS_OP_T, CUBLAS_OP_N, 1024, 60000, 785},
    {"large_gradient_785x1024x60000", CUBLAS_OP_N, CUBLAS_OP_T, 785, 1024, 60000},
    {"square_8192", CUBLAS_OP_N, CUBLAS_OP_N, 8192, 8192, 8192},
};

template <class T>
cublasStatus_t gemm(cublasHandle_t handle, const GemmShape& s, const T* A, int lda, const T* B, int ldb, T* C) {
    const T one = 1, zero = 0;
    if constexpr (std::is_same_v<T, float>)
        return cublasSgemm(handle, s.transa, s.transb, s.m, s.n, s.k, &one, A, lda, B, ldb, &zero, C, s.m);
    else
        return cublasDgemm(handle, s.transa, s.transb, s.m, s.n, s.k, &one, A, lda, B, ldb, &zero, C, s.m);
}

template <class T>
DeviceBuffer<T> random_device_matrix(std::size_t count, std::uint64_t seed) {
    std::vector<T> host(count);
    std::mt19937_64 generator(seed);
    std::uniform_real_distribution<T> value(-1, 1);
    for (T& v : host) v = value(generator);
    DeviceBuffer<T> device(count, "a benchmark matrix");
    CUDA_CHECK(cudaMemcpy(device.data(), host.data(), count * sizeof(T), cudaMemcpyHostToDevice));
    return device;
}

template <class T>
void cublas_gemm(benchmark::State& state, GemmShape shape) {
    try {
        // op(A) is m x k, op(B) is k x n.
        const bool a_transposed = shape.transa == CUBLAS_OP_T;
        const bool b_transposed = shape.transb == CUBLAS_OP_T;
        const int lda = a_transposed ? shape.k : shape.m;
        const int ldb = b_transposed ? shape.n : shape.k;
        const auto A = random_device_matrix<T>(std::size_t(shape.m) * shape.k, 1);
        const auto B = random_device_matrix<T>(std::size_t(shape.k) * shape.n, 2);
        DeviceBuffer<T> C(std::size_t(shape.m) * shape.n, "a benchmark product");

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
            CUBLAS_CHECK(gemm<T>(handle.get(), shape, A.data(), lda, B.data(), ldb, C.data()));
        CUDA_CHECK(cudaStreamSynchronize(stream.get()));

        for (auto _ : state) {
            CUDA_CHECK(cudaEventRecord(start.get(), stream.get()));
            for (int i = 0; i < kGemmsPerStep; ++i)
                CUBLAS_CHECK(gemm<T>(handle.get(), shape, A.data(), lda, B.data(), ldb, C.data()));
            CUDA_CHECK(cudaEventRecord(stop.get(), stream.get()));
            CUDA_CHECK(cudaEventSynchronize(stop.get()));
            float milliseconds = 0;
            CUDA_CHECK(cudaEventElapsedTime(&milliseconds, start.get(), stop.get()));
            state.SetIterationTime(milliseconds * 1e-3 / kGemmsPerStep);
        }
        state.counters["FLOP"] = benchmark::Counter(2.0 * shape.m * shape.n * double(shape.k),
                                                    benchmark::Counter::kIsIterationInvariantRate);
        state.SetLabel(std::to_string(shape.m) + "x" + std::to_string(shape.n) + "x" + std::to_string(shape.k) +
                       ", CUDA events over " + std::to_string(kGemmsPerStep) + " GEMMs");
    } catch (const std::exception& e) {
        state.SkipWithError(e.what());
    }
}

}  // namespace

void register_cublas_benchmarks() {
    for (const GemmShape& shape : kShapes) {
        const std::string name = std::string("gpu/cublas/") + shape.name;
        benchmark::RegisterBenchmark((name + "/float").c_str(), cublas_gemm<float>, shape)
            ->UseManualTime()
            ->Iterations(20)
            ->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark((name + "/double").c_str(), cublas_gemm<double>, shape)
            ->UseManualTime()
            ->Iterations(5)
            ->Unit(benchmark::kMillisecond);
    }
}

}  // namespace digitnet::bench
