#pragma once
// The network on the device: its layout, the parameters and the gradient in the flat layout of
// layout.hpp (all Thetas packed, each row-major), and the GEMM constants 0 and 1 (cuBLAS reads
// alpha and beta from device memory). Every pass and the regularisation work on it; CudaBackend
// owns it.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstddef>
#include <string>

#include "device.hpp"
#include "device_buffer.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/model/layout.hpp"
#include "launch_config.cuh"

namespace digitnet::cuda {

template <class T>
class DeviceNetwork {
public:
    // Theta starts at zero (until set_parameters); the gradient is written before it is read.
    DeviceNetwork(const Layout& layout, const CudaContext& context) : layout_(layout), context_(&context) {
        const std::size_t parameters = layout_.parameter_count();
        // Every launch over the parameters must fit an int.
        if (parameters > static_cast<std::size_t>(kernels::kMaxLinearElements))
            throw InputError("network " + layout_.describe() + " has too many parameters for the GPU backend");
        parameter_count_ = static_cast<int>(parameters);
        theta_ = DeviceBuffer<T>(parameters, "the parameters");
        grad_ = DeviceBuffer<T>(parameters, "the gradient");
        constants_ = DeviceBuffer<T>(2, "the GEMM constants");
        theta_.fill_zero(stream());
        const T constants[2] = {T(0), T(1)};
        // Pageable source: the runtime stages it before returning, so `constants` may go out of scope.
        constants_.upload(constants, 2, stream());
    }

    const Layout& layout() const { return layout_; }
    int parameter_count() const { return parameter_count_; }
    cudaStream_t stream() const { return context_->stream(); }
    cublasHandle_t cublas() const { return context_->cublas(); }

    T* theta() { return theta_.data(); }
    const T* theta() const { return theta_.data(); }
    const T* theta(int l) const { return theta_.data() + layout_.theta_offset(l); }
    DeviceBuffer<T>& theta_buffer() { return theta_; }
    T* grad() { return grad_.data(); }
    T* grad(int l) { return grad_.data() + layout_.theta_offset(l); }
    const DeviceBuffer<T>& grad_buffer() const { return grad_; }
    const T* zero() const { return constants_.data(); }
    const T* one() const { return constants_.data() + 1; }

private:
    Layout layout_;
    const CudaContext* context_;
    int parameter_count_ = 0;
    DeviceBuffer<T> theta_, grad_, constants_;
};

}  // namespace digitnet::cuda
