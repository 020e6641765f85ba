#pragma once
// The CUDA and cuBLAS handles as owning types: each one is destroyed exactly once, when its owner
// goes, and is move-only (std::unique_ptr with a deleter). The deleters ignore errors: there is
// nothing useful to do with a failing destroy at exit. Plain C++: usable from .cpp and .cu files.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <memory>
#include <type_traits>

#include "cuda_check.hpp"

namespace digitnet::cuda {

struct StreamDeleter {
    void operator()(cudaStream_t stream) const noexcept { cudaStreamDestroy(stream); }
};
struct EventDeleter {
    void operator()(cudaEvent_t event) const noexcept { cudaEventDestroy(event); }
};
struct CublasDeleter {
    void operator()(cublasHandle_t handle) const noexcept { cublasDestroy(handle); }
};
struct GraphDeleter {
    void operator()(cudaGraph_t graph) const noexcept { cudaGraphDestroy(graph); }
};
struct GraphExecDeleter {
    void operator()(cudaGraphExec_t exec) const noexcept { cudaGraphExecDestroy(exec); }
};

using Stream = std::unique_ptr<std::remove_pointer_t<cudaStream_t>, StreamDeleter>;
using Event = std::unique_ptr<std::remove_pointer_t<cudaEvent_t>, EventDeleter>;
using Cublas = std::unique_ptr<std::remove_pointer_t<cublasHandle_t>, CublasDeleter>;
using Graph = std::unique_ptr<std::remove_pointer_t<cudaGraph_t>, GraphDeleter>;
using GraphExec = std::unique_ptr<std::remove_pointer_t<cudaGraphExec_t>, GraphExecDeleter>;

// A stream that does not synchronise with the legacy default stream.
inline Stream make_stream() {
    cudaStream_t stream = nullptr;
    CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    return Stream(stream);
}

}  // namespace digitnet::cuda
