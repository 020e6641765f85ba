#pragma once
// Which GPU the CUDA backend runs on, and the handles every part of it shares there: the stream
// all work is queued on and the cuBLAS handle bound to it.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstddef>
#include <optional>

#include "cuda_handles.hpp"
#include "device_buffer.hpp"
#include "digitnet/cuda/cuda_backend.hpp"

namespace digitnet::cuda {

struct UsableDevice {
    int ordinal = 0;
    GpuInfo info;
};

// The first device that answers: properties readable, not prohibited, memory query works (which
// creates its context). Never throws: no driver, no device, or a broken one all mean "none".
std::optional<UsableDevice> first_usable_device();

// Events used only for ordering (fork/join) skip timing, which makes them cheaper. With
// blocking_sync the host sleeps in cudaEventSynchronize instead of spinning a core.
Event make_event(bool blocking_sync = false);

// The device's main stream and a cuBLAS handle bound to it, configured once for the whole backend:
// a workspace of its own (so that cuBLAS never allocates inside a graph capture), scalars read
// from device memory, no atomics (deterministic results), full float/double GEMMs (no TF32).
class CudaContext {
public:
    explicit CudaContext(int ordinal);

    void use_device() const { CUDA_CHECK(cudaSetDevice(ordinal_)); }
    int ordinal() const { return ordinal_; }
    cudaStream_t stream() const { return stream_.get(); }
    cublasHandle_t cublas() const { return cublas_.get(); }

private:
    int ordinal_ = 0;
    Stream stream_;
    DeviceBuffer<std::byte> workspace_;  // declared before cublas_: the handle goes first
    Cublas cublas_;
};

}  // namespace digitnet::cuda
