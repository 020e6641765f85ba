#pragma once
// The CUDA backend: cuBLAS GEMMs plus our own fused kernels (kernels/). Declared in every build;
// in a build without CUDA, or on a machine without a GPU, gpu_info() reports none and
// make_cuda_backend throws UnavailableError.
#include <memory>
#include <optional>
#include <string>

#include "digitnet/cuda/device_sum.hpp"
#include "digitnet/model/backend.hpp"

namespace digitnet {

struct GpuInfo {
    std::string name;       // "NVIDIA H100 80GB HBM3"
    int compute_major = 0;  // 9 for sm_90
    int compute_minor = 0;
    std::size_t total_memory = 0;  // bytes
    std::size_t free_memory = 0;   // bytes
};

// "NVIDIA H100 80GB HBM3, sm_90": DeviceReport::hardware of a GPU.
inline std::string describe(const GpuInfo& gpu) {
    return gpu.name + ", sm_" + std::to_string(gpu.compute_major) + std::to_string(gpu.compute_minor);
}

// What the CUDA backend's device_report() holds: path kFusedPath on the fused path ("" on the
// general one) and, among its notes, these.
namespace cuda_report {
inline constexpr char kFusedPath[] = "fused";
inline constexpr char kSummedInsideTheGraph[] = "gd summed over the processes inside its CUDA graph";
inline constexpr char kTf32TensorCores[] = "tf32 tensor cores (FP32 accumulation)";
inline constexpr char kBf16TensorCores[] = "bf16 tensor cores (BF16 GEMM inputs, FP32 accumulation)";
}  // namespace cuda_report

bool cuda_compiled_in();
// The first usable GPU, or nothing (no CUDA in this build, no driver, no device).
std::optional<GpuInfo> gpu_info();

// Which path a sigmoid network with one hidden layer of at most 32 units and at most 32 sigmoid
// classes (the seed's 400-25-10) takes: the fused kernels of kernels/one_hidden_layer_gradient.cu (two launches
// an iteration, where the device has the shared memory for them; device_report().path is then
// "fused"), or the general path every other network takes (cuBLAS GEMMs and per-step kernels).
enum class OneHiddenLayerPath {
    Automatic,  // fused in float, general in double: the faster of the two for each on an H100
                // (bench/RESULTS.md; in double the fused kernel's FP64 arithmetic and its doubled
                // shared memory make it slower than cuBLAS)
    Fused,      // fused wherever the network and the device allow it (tests, benchmarks)
    General,    // the general path always (tests, benchmarks)
};

// Iterations captured into one CUDA graph by the gd loop: replaying a graph of several iterations
// saves the gaps between graph launches. 8 is a guess not yet measured on a GPU (digitnet_bench's
// gpu/seed/float/graph<N> rows measure 1, 8, 32 and 128).
inline constexpr int kDefaultIterationsPerGraph = 8;

struct CudaOptions {
    OneHiddenLayerPath one_hidden_layer = OneHiddenLayerPath::Automatic;
    int iterations_per_graph = kDefaultIterationsPerGraph;  // >= 1
    // One shard of a data-parallel run (must outlive the backend), or none. With it the backend
    // offers shard_gradient_descent_loop(): each gd iteration of its CUDA graph computes the shard's
    // sums of cost and gradient divided by the global m, sums them over the processes through
    // `device_sum` (NCCL), then takes the update, the same on every process. Everything else (cg,
    // adam, the final cost) goes through DataParallelBackend's host-side sum as before.
    DeviceSum* device_sum = nullptr;
};

// Any layout, activation and output (the fused path only where it applies: see above). Its
// gradient_descent_loop() runs the iterations as CUDA graphs (and shard_gradient_descent_loop() with
// options.device_sum). Throws UnavailableError without a
// usable GPU and DeviceError when the GPU fails.
std::unique_ptr<Backend> make_cuda_backend(Precision precision, const Layout& layout, const CudaOptions& options = {});

}  // namespace digitnet
