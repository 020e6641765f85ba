// Device choice (first_usable_device, gpu_info) and the shared stream and cuBLAS handle.
#include "device.hpp"

#include <string>

#include "cuda_check.hpp"

namespace digitnet {

namespace cuda {

namespace {

// cuBLAS workspace, set before any capture so that cuBLAS never allocates inside one (32 MiB is
// what NVIDIA recommends for Hopper).
constexpr std::size_t kCublasWorkspaceBytes = std::size_t{32} << 20;

}  // namespace

std::optional<UsableDevice> first_usable_device() {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess) {
        cudaGetLastError();
        return std::nullopt;
    }
    int previous = -1;
    if (cudaGetDevice(&previous) != cudaSuccess) {
        cudaGetLastError();
        previous = -1;
    }
    std::optional<UsableDevice> found;
    for (int ordinal = 0; ordinal < count && !found; ++ordinal) {
        cudaDeviceProp properties{};
        if (cudaGetDeviceProperties(&properties, ordinal) != cudaSuccess) {
            cudaGetLastError();
            continue;
        }
        int compute_mode = cudaComputeModeDefault;
        if (cudaDeviceGetAttribute(&compute_mode, cudaDevAttrComputeMode, ordinal) == cudaSuccess &&
            compute_mode == cudaComputeModeProhibited)
            continue;
        std::size_t free_bytes = 0;
        std::size_t total_bytes = 0;
        if (cudaSetDevice(ordinal) != cudaSuccess || cudaMemGetInfo(&free_bytes, &total_bytes) != cudaSuccess) {
            cudaGetLastError();
            continue;
        }
        found = UsableDevice{ordinal,
                             GpuInfo{properties.name, properties.major, properties.minor, total_bytes, free_bytes}};
    }
    if (previous >= 0 && previous < count) cudaSetDevice(previous);
    cudaGetLastError();
    return found;
}

Event make_event(bool blocking_sync) {
    cudaEvent_t event = nullptr;
    CUDA_CHECK(cudaEventCreateWithFlags(&event, cudaEventDisableTiming | (blocking_sync ? cudaEventBlockingSync : 0u)));
    return Event(event);
}

// cuBLAS: bound to the stream, then given its workspace (cublasSetStream resets the workspace, so
// the order matters), scalars read from device memory, no atomics (deterministic results), and
// the default math mode: full float/double GEMMs, no TF32 and no emulation, so that float agrees
// with the double reference to 1e-4.
CudaContext::CudaContext(int ordinal) : ordinal_(ordinal) {
    use_device();
    stream_ = make_stream();
    cublasHandle_t handle = nullptr;
    CUBLAS_CHECK(cublasCreate(&handle));
    cublas_.reset(handle);
    CUBLAS_CHECK(cublasSetStream(handle, stream_.get()));
    workspace_ = DeviceBuffer<std::byte>(kCublasWorkspaceBytes, "the cuBLAS workspace");
    CUBLAS_CHECK(cublasSetWorkspace(handle, workspace_.data(), workspace_.bytes()));
    CUBLAS_CHECK(cublasSetPointerMode(handle, CUBLAS_POINTER_MODE_DEVICE));
    CUBLAS_CHECK(cublasSetAtomicsMode(handle, CUBLAS_ATOMICS_NOT_ALLOWED));
    CUBLAS_CHECK(cublasSetMathMode(handle, CUBLAS_DEFAULT_MATH));
}

}  // namespace cuda

bool cuda_compiled_in() { return true; }

std::optional<GpuInfo> gpu_info() {
    auto device = cuda::first_usable_device();
    if (!device) return std::nullopt;
    return device->info;
}

}  // namespace digitnet
