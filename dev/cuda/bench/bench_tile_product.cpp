// The gpu/tile rows of digitnet_dev_bench (see bench_tile_product.hpp).
//
// One block per SM, each with its own tile of the same data, does the tile's product R times in
// one launch (kernels/tf32x3_tile_product.cuh: the operands are staged into shared memory once,
// then every repetition reads them from there and writes the product to shared memory, as the
// fused kernel's forward and grad1 phases do). A timed step launches R = 1 and R = 201 and reports
// (t_201 - t_1) / 200 from CUDA events: the time of one repetition on all SMs at once, without the
// launch and the staging. FLOP counts the useful 2 rows hidden n per block (the tensor-core tiles
// also multiply the padding up to whole tiles, and 3xTF32 does it three times).
#include "bench_tile_product.hpp"

#include <benchmark/benchmark.h>
#include <cuda_runtime_api.h>

#include <random>
#include <string>
#include <vector>

#include "cuda/cuda_handles.hpp"
#include "cuda/device_buffer.hpp"
#include "cuda_check.hpp"
#include "tf32x3_tile_product.cuh"

namespace digitnet::bench {
namespace {

using cuda::DeviceBuffer;
using kernels::TileProductMethod;

constexpr int kRows = 19;  // the seed's balanced tile: 5000 examples over 264 resident blocks (H100)
constexpr int kInputs = 401;
constexpr int kHidden = 25;
constexpr int kFewRepetitions = 1;
constexpr int kManyRepetitions = 201;

DeviceBuffer<float> random_device_values(std::size_t count, float low, float high, unsigned seed) {
    std::mt19937 generator(seed);
    std::uniform_real_distribution<float> value(low, high);
    std::vector<float> host(count);
    for (float& v : host) v = value(generator);
    DeviceBuffer<float> device(count, "a benchmark matrix");
    CUDA_CHECK(cudaMemcpy(device.data(), host.data(), count * sizeof(float), cudaMemcpyHostToDevice));
    return device;
}

enum class Product { Forward, Gradient };

void seed_tile_product(benchmark::State& state, Product product, TileProductMethod method) {
    try {
        int device = 0, multiprocessors = 0;
        CUDA_CHECK(cudaGetDevice(&device));
        CUDA_CHECK(cudaDeviceGetAttribute(&multiprocessors, cudaDevAttrMultiProcessorCount, device));
        const int blocks = multiprocessors;
        const bool forward = product == Product::Forward;
        // Forward: the tiles of a0 and Theta1 (hidden, n), out z1 (blocks rows, hidden).
        // Gradient: d1 (blocks rows, hidden) and the tiles of a0, out each block's d1^T a0 (hidden, n).
        const auto x = random_device_values(std::size_t(blocks) * kRows * kInputs, 0.0f, 1.0f, 1);
        const auto other = forward ? random_device_values(std::size_t(kHidden) * kInputs, -0.12f, 0.12f, 2)
                                   : random_device_values(std::size_t(blocks) * kRows * kHidden, -0.12f, 0.12f, 3);
        DeviceBuffer<float> out(std::size_t(blocks) * (forward ? kRows : kInputs) * kHidden, "the benchmark's product");
        const cuda::Stream stream = cuda::make_stream();
        cudaEvent_t raw[3] = {};
        for (cudaEvent_t& e : raw) CUDA_CHECK(cudaEventCreate(&e));
        const cuda::Event start(raw[0]), middle(raw[1]), stop(raw[2]);
        const auto launch = [&](int repetitions) {
            if (forward)
                kernels::seed_forward_tile_products(method, blocks, repetitions, kRows, kInputs, kHidden, x.data(),
                                                    other.data(), out.data(), stream.get());
            else
                kernels::seed_gradient_tile_products(method, blocks, repetitions, kRows, kInputs, kHidden, other.data(),
                                                     x.data(), out.data(), stream.get());
        };
        launch(kManyRepetitions);  // warm-up: module loading, the shared-memory carve-out
        CUDA_CHECK(cudaStreamSynchronize(stream.get()));
        for (auto _ : state) {
            CUDA_CHECK(cudaEventRecord(start.get(), stream.get()));
            launch(kFewRepetitions);
            CUDA_CHECK(cudaEventRecord(middle.get(), stream.get()));
            launch(kManyRepetitions);
            CUDA_CHECK(cudaEventRecord(stop.get(), stream.get()));
            CUDA_CHECK(cudaEventSynchronize(stop.get()));
            float few = 0, many = 0;
            CUDA_CHECK(cudaEventElapsedTime(&few, start.get(), middle.get()));
            CUDA_CHECK(cudaEventElapsedTime(&many, middle.get(), stop.get()));
            state.SetIterationTime((many - few) * 1e-3 / (kManyRepetitions - kFewRepetitions));
        }
        state.counters["FLOP"] =
            benchmark::Counter(2.0 * kRows * kHidden * kInputs * blocks, benchmark::Counter::kIsIterationInvariantRate);
        const std::size_t shared = forward ? kernels::tile_product_shared_bytes(method, kInputs)
                                           : kernels::gradient_tile_product_shared_bytes(method, kInputs);
        state.SetLabel(std::to_string(blocks) + " blocks (1 per SM) x 256 threads, " +
                       (forward ? "z1 = tile Theta1^T, " : "d1^T tile, ") + "tile " + std::to_string(kRows) + " x " +
                       std::to_string(kInputs) + ", " + std::to_string(kHidden) + " hidden, " +
                       std::to_string(shared / 1024) + " KiB shared; per repetition (CUDA events, " +
                       std::to_string(kManyRepetitions) + " - " + std::to_string(kFewRepetitions) + " repetitions)");
    } catch (const std::exception& e) {
        state.SkipWithError(e.what());
    }
}

}  // namespace

void register_tile_product_benchmarks() {
    const auto add = [](const std::string& name, Product product, TileProductMethod method) {
        benchmark::RegisterBenchmark(name.c_str(), seed_tile_product, product, method)
            ->UseManualTime()
            ->Iterations(20)
            ->Unit(benchmark::kMicrosecond);
    };
    for (const auto& [name, method] :
         {std::pair{"fp32_simt", TileProductMethod::Fp32Simt}, std::pair{"tf32x3_mma", TileProductMethod::Tf32x3Mma},
          std::pair{"tf32_mma", TileProductMethod::Tf32Mma},
          std::pair{"tf32x3_mma_split_theta", TileProductMethod::Tf32x3MmaSplitTheta}})
        add(std::string("gpu/tile/seed_forward/") + name, Product::Forward, method);
    for (const auto& [name, method] :
         {std::pair{"fp32_simt", TileProductMethod::Fp32Simt}, std::pair{"tf32x3_mma", TileProductMethod::Tf32x3Mma},
          std::pair{"tf32_mma", TileProductMethod::Tf32Mma}})
        add(std::string("gpu/tile/seed_gradient/") + name, Product::Gradient, method);
}

}  // namespace digitnet::bench
