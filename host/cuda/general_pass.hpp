#pragma once
// The general pass: cuBLAS GEMMs and per-step kernels, for any layout, hidden activation and output.
#include "gradient_pass.hpp"

namespace digitnet::cuda {

template <class T>
class GeneralPass final : public GradientPass<T> {
public:
    GeneralPass(DeviceNetwork<T>& network, Regularization<T>& regularization)
        : network_(network), regularization_(regularization) {}

    std::string path_name() const override { return ""; }
    void enqueue(ExampleSet<T>& set, const PassRequest<T>& request) override;

private:
    void enqueue_output_delta_cost(ExampleSet<T>& set);
    void enqueue_backward(ExampleSet<T>& set, const T* inverse_m);

    DeviceNetwork<T>& network_;
    Regularization<T>& regularization_;
};

}  // namespace digitnet::cuda
