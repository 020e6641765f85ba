#pragma once
// CUDA_CHECK / CUBLAS_CHECK: run a CUDA runtime or cuBLAS call and throw digitnet::DeviceError when
// it fails. The message names the failing statement, the function, file and line, and the
// library's own description of the error, so the CLI and GoogleTest can report it in one line.
// Out of memory also says how much the device has free (cudaMemGetInfo); allocations made through
// cuda_allocate() (device_buffer.hpp) add how many bytes were asked for.
//
// Header-only and plain C++: includable from .cpp files (g++) and .cu files (nvcc) alike.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdio>
#include <string>

#include "digitnet/errors.hpp"

namespace digitnet::cuda {

// "1.50 GiB" style sizes for messages.
inline std::string format_bytes(std::size_t bytes) {
    const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    double value = static_cast<double>(bytes);
    int unit = 0;
    while (value >= 1024.0 && unit < 4) {
        value /= 1024.0;
        ++unit;
    }
    if (unit == 0) return std::to_string(bytes) + " bytes";
    char text[64];
    std::snprintf(text, sizeof text, "%.2f %s", value, units[unit]);
    return text;
}

// What the device has free right now, as text ("12.00 GiB free of 79.11 GiB"), or why it is unknown.
inline std::string describe_free_memory() {
    std::size_t free_bytes = 0;
    std::size_t total_bytes = 0;
    if (cudaMemGetInfo(&free_bytes, &total_bytes) != cudaSuccess) {
        cudaGetLastError();  // clear the (non-sticky) error so the next call starts clean
        return "free device memory unknown";
    }
    return format_bytes(free_bytes) + " free of " + format_bytes(total_bytes);
}

// A hint for the errors whose fix is not obvious from the message.
inline const char* cuda_error_hint(cudaError_t error) {
    switch (error) {
        case cudaErrorNoKernelImageForDevice:
        case cudaErrorInvalidDeviceFunction:
            return " HINT: this build has no code for this GPU: reconfigure with "
                   "-DCMAKE_CUDA_ARCHITECTURES=<its compute capability, e.g. 90> and rebuild.";
        case cudaErrorInsufficientDriver:
            return " HINT: the NVIDIA driver is older than this CUDA runtime: update the driver or "
                   "use --device cpu.";
        case cudaErrorNoDevice:
            return " HINT: no CUDA GPU is visible (check CUDA_VISIBLE_DEVICES) or use --device cpu.";
        case cudaErrorMemoryAllocation:
            return " HINT: use a smaller data set or --device cpu.";
        default:
            return "";
    }
}

[[noreturn]] inline void throw_cuda_error(cudaError_t error, const char* statement, const char* function,
                                          const char* file, int line) {
    cudaGetLastError();  // clear a non-sticky error so that later, unrelated calls do not see it
    std::string message = std::string("CUDA error: ") + statement + " failed in " + function + " at " + file + ":" +
                          std::to_string(line) + ": " + cudaGetErrorName(error) + " (" + cudaGetErrorString(error) +
                          ")";
    if (error == cudaErrorMemoryAllocation) message += "; " + describe_free_memory();
    message += cuda_error_hint(error);
    throw DeviceError(message);
}

[[noreturn]] inline void throw_cublas_error(cublasStatus_t status, const char* statement, const char* function,
                                            const char* file, int line) {
    std::string message = std::string("cuBLAS error: ") + statement + " failed in " + function + " at " + file + ":" +
                          std::to_string(line) + ": " + cublasGetStatusName(status) + " (" +
                          cublasGetStatusString(status) + ")";
    if (status == CUBLAS_STATUS_ALLOC_FAILED) message += "; " + describe_free_memory();
    throw DeviceError(message);
}

}  // namespace digitnet::cuda

#define CUDA_CHECK(statement)                                                                                    \
    do {                                                                                                         \
        const cudaError_t digitnet_cuda_status_ = (statement);                                                   \
        if (digitnet_cuda_status_ != cudaSuccess)                                                                \
            ::digitnet::cuda::throw_cuda_error(digitnet_cuda_status_, #statement, __func__, __FILE__, __LINE__); \
    } while (0)

#define CUBLAS_CHECK(statement)                                                                                      \
    do {                                                                                                             \
        const cublasStatus_t digitnet_cublas_status_ = (statement);                                                  \
        if (digitnet_cublas_status_ != CUBLAS_STATUS_SUCCESS)                                                        \
            ::digitnet::cuda::throw_cublas_error(digitnet_cublas_status_, #statement, __func__, __FILE__, __LINE__); \
    } while (0)
