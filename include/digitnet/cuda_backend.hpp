#pragma once
// The CUDA backend: cuBLAS GEMMs plus our own fused kernels (kernels/). Declared in every build;
// in a build without CUDA, or on a machine without a GPU, gpu_info() reports none and
// make_cuda_backend throws UnavailableError.
#include <memory>
#include <optional>
#include <string>

#include "digitnet/backend.hpp"

namespace digitnet {

struct GpuInfo {
    std::string name;           // "NVIDIA H100 80GB HBM3"
    int compute_major = 0;      // 9 for sm_90
    int compute_minor = 0;
    std::size_t total_memory = 0;  // bytes
    std::size_t free_memory = 0;   // bytes
};

bool cuda_compiled_in();
// The first usable GPU, or nothing (no CUDA in this build, no driver, no device).
std::optional<GpuInfo> gpu_info();

std::unique_ptr<Backend> make_cuda_backend(Precision precision, const Layout& layout,
                                           const Dataset& train);

}  // namespace digitnet
