#pragma once
// The network on the device: its layout, the parameters and the gradient in the flat layout of
// layout.hpp (all Thetas packed, each row-major), and the GEMM constants 0 and 1 (cuBLAS reads
// alpha and beta from device memory). Every pass and the regularisation work on it; CudaBackend
// owns it. In --precision bf16 it also holds Theta's BF16 copy, the GEMMs' weights (Theta itself
// stays the FP32 master copy that the cost, the regularisation and the update use).
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "cublas_gemm.hpp"
#include "cuda_check.hpp"
#include "device.hpp"
#include "device_buffer.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/model/layout.hpp"
#include "launch_config.cuh"
#include "to_bfloat16.cuh"

namespace digitnet::cuda {

template <class T>
class DeviceNetwork {
public:
    // Theta starts at zero (until set_parameters); the gradient is written before it is read.
    // precision: Float or Double as T, or (T = float) Tf32 or Bf16.
    DeviceNetwork(const Layout& layout, const CudaContext& context, Precision precision)
        : layout_(layout), context_(&context), precision_(precision) {
        const std::size_t parameters = layout_.parameter_count();
        // Every launch over the parameters must fit an int.
        if (parameters > static_cast<std::size_t>(kernels::kMaxLinearElements))
            throw InputError("network " + layout_.describe() + " has too many parameters for the GPU backend");
        parameter_count_ = static_cast<int>(parameters);
        theta_ = DeviceBuffer<T>(parameters, "the parameters");
        grad_ = DeviceBuffer<T>(parameters, "the gradient");
        constants_ = DeviceBuffer<T>(2, "the GEMM constants");
        theta_.fill_zero(stream());
        if (precision_ == Precision::Bf16) theta_bf16_ = DeviceBuffer<std::uint16_t>(parameters, "the BF16 weights");
        const T constants[2] = {T(0), T(1)};
        // Pageable source: the runtime stages it before returning, so `constants` may go out of scope.
        constants_.upload(constants, 2, stream());
    }

    const Layout& layout() const { return layout_; }
    Precision precision() const { return precision_; }
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
    // Theta_l as a GEMM input (gemm() in cublas_gemm.hpp), `offset` elements in.
    GemmInput<T> theta_input(int l, int offset = 0) const {
        const std::size_t at = layout_.theta_offset(l) + static_cast<std::size_t>(offset);
        return {theta_.data() + at, precision_ == Precision::Bf16 ? theta_bf16_.data() + at : nullptr};
    }
    // Before a forward pass in bf16: Theta's BF16 copy from the current FP32 Theta, queued.
    void enqueue_gemm_weights() {
        if constexpr (std::is_same_v<T, float>)
            if (precision_ == Precision::Bf16)
                kernels::to_bfloat16(parameter_count_, theta_.data(), theta_bf16_.data(), stream());
    }
    // Theta from the host (Backend::set_parameters) and back (Backend::parameters), each waited for.
    void set_parameters(const Parameters& parameters) {
        if (parameters.layout != layout_)
            throw InputError("parameters for network " + parameters.layout.describe() + " given to a GPU backend for " +
                             layout_.describe());
        const std::vector<T> values(parameters.values.begin(), parameters.values.end());
        theta_.upload(values.data(), values.size(), stream());
        CUDA_CHECK(cudaStreamSynchronize(stream()));
    }
    Parameters parameters() const {
        std::vector<T> values(static_cast<std::size_t>(parameter_count_));
        CUDA_CHECK(
            cudaMemcpyAsync(values.data(), theta_.data(), values.size() * sizeof(T), cudaMemcpyDeviceToHost, stream()));
        CUDA_CHECK(cudaStreamSynchronize(stream()));
        Parameters result(layout_);
        std::copy(values.begin(), values.end(), result.values.begin());
        return result;
    }

    const T* zero() const { return constants_.data(); }
    const T* one() const { return constants_.data() + 1; }

private:
    Layout layout_;
    const CudaContext* context_;
    Precision precision_;
    int parameter_count_ = 0;
    DeviceBuffer<T> theta_, grad_, constants_;
    DeviceBuffer<std::uint16_t> theta_bf16_;  // bf16 only
};

}  // namespace digitnet::cuda
