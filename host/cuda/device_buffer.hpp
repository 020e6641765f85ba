#pragma once
// Device memory that owns itself: DeviceBuffer<T> (cudaMalloc) and PinnedBuffer<T> (page-locked
// host memory, cudaMallocHost, for async copies). Move-only: copying is deleted so that a buffer is
// never duplicated by accident (a performance accident, or a double free). The destructor never
// throws; a failing cudaFree at exit is ignored, as there is nothing useful left to do with it.
//
// Plain C++ (cuda_runtime_api.h only): usable from .cpp and .cu files.
#include <cuda_runtime_api.h>

#include <cstddef>
#include <limits>
#include <string>
#include <utility>

#include "cuda_check.hpp"

namespace digitnet::cuda {

// cudaMalloc that says, when it fails, how many bytes were asked for and how many are free.
inline void* cuda_allocate(std::size_t bytes, const char* what) {
    if (bytes == 0) return nullptr;
    void* pointer = nullptr;
    const cudaError_t status = cudaMalloc(&pointer, bytes);
    if (status == cudaErrorMemoryAllocation) {
        cudaGetLastError();
        throw DeviceError(std::string("out of GPU memory: cudaMalloc of ") + format_bytes(bytes) + " for " + what +
                          " failed; " + describe_free_memory() +
                          ". HINT: use a smaller data set or hidden layer, or --device cpu.");
    }
    if (status != cudaSuccess) throw_cuda_error(status, "cudaMalloc", what, __FILE__, __LINE__);
    return pointer;
}

template <class T>
class DeviceBuffer {
public:
    DeviceBuffer() = default;
    explicit DeviceBuffer(std::size_t count, const char* what = "a device buffer") : count_(count) {
        if (count > std::numeric_limits<std::size_t>::max() / sizeof(T))
            throw DeviceError(std::string("device buffer for ") + what + " is too large");
        data_ = static_cast<T*>(cuda_allocate(count * sizeof(T), what));
    }
    ~DeviceBuffer() { release(); }

    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;
    DeviceBuffer(DeviceBuffer&& other) noexcept
        : data_(std::exchange(other.data_, nullptr)), count_(std::exchange(other.count_, 0)) {}
    DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
        if (this != &other) {
            release();
            data_ = std::exchange(other.data_, nullptr);
            count_ = std::exchange(other.count_, 0);
        }
        return *this;
    }

    T* data() { return data_; }
    const T* data() const { return data_; }
    std::size_t size() const { return count_; }
    std::size_t bytes() const { return count_ * sizeof(T); }
    bool empty() const { return count_ == 0; }

    // Asynchronous on `stream`; the host memory must stay valid until the stream reaches the copy
    // (pageable host memory makes the runtime stage it, so it is safe to reuse on return).
    void upload(const T* host, std::size_t count, cudaStream_t stream) {
        check_count(count);
        if (count == 0) return;
        CUDA_CHECK(cudaMemcpyAsync(data_, host, count * sizeof(T), cudaMemcpyHostToDevice, stream));
    }
    void download(T* host, std::size_t count, cudaStream_t stream) const {
        check_count(count);
        if (count == 0) return;
        CUDA_CHECK(cudaMemcpyAsync(host, data_, count * sizeof(T), cudaMemcpyDeviceToHost, stream));
    }
    void fill_zero(cudaStream_t stream) {
        if (count_ == 0) return;
        CUDA_CHECK(cudaMemsetAsync(data_, 0, bytes(), stream));
    }

private:
    void check_count(std::size_t count) const {
        if (count > count_)
            throw DeviceError("device buffer copy of " + std::to_string(count) + " elements into " +
                              std::to_string(count_));
    }
    void release() noexcept {
        if (data_ != nullptr) cudaFree(data_);  // never throws; an error here has no remedy
        data_ = nullptr;
        count_ = 0;
    }

    T* data_ = nullptr;
    std::size_t count_ = 0;
};

// Page-locked host memory, the target of small asynchronous device-to-host copies.
template <class T>
class PinnedBuffer {
public:
    PinnedBuffer() = default;
    explicit PinnedBuffer(std::size_t count) : count_(count) {
        if (count == 0) return;
        void* pointer = nullptr;
        CUDA_CHECK(cudaMallocHost(&pointer, count * sizeof(T)));
        data_ = static_cast<T*>(pointer);
    }
    ~PinnedBuffer() {
        if (data_ != nullptr) cudaFreeHost(data_);
    }
    PinnedBuffer(const PinnedBuffer&) = delete;
    PinnedBuffer& operator=(const PinnedBuffer&) = delete;
    PinnedBuffer(PinnedBuffer&& other) noexcept
        : data_(std::exchange(other.data_, nullptr)), count_(std::exchange(other.count_, 0)) {}
    PinnedBuffer& operator=(PinnedBuffer&& other) noexcept {
        if (this != &other) {
            if (data_ != nullptr) cudaFreeHost(data_);
            data_ = std::exchange(other.data_, nullptr);
            count_ = std::exchange(other.count_, 0);
        }
        return *this;
    }

    T* data() { return data_; }
    const T* data() const { return data_; }
    T& operator[](std::size_t i) { return data_[i]; }
    const T& operator[](std::size_t i) const { return data_[i]; }
    std::size_t size() const { return count_; }

private:
    T* data_ = nullptr;
    std::size_t count_ = 0;
};

}  // namespace digitnet::cuda
