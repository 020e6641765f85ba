#pragma once
// The fused pass: the whole cost-and-gradient pass of a network with one small sigmoid hidden
// layer and sigmoid outputs (the seed's 400-25-10) in two launches (kernels/one_hidden_layer_gradient.cu).
#include "gradient_pass.hpp"
#include "one_hidden_layer_gradient.cuh"

namespace digitnet::cuda {

template <class T>
class FusedPass final : public GradientPass<T> {
public:
    // Whether the fused kernels take this layout on this device: one hidden layer of at most
    // kOneHiddenLayerMaxHidden sigmoid units, at most kOneHiddenLayerMaxClasses sigmoid outputs,
    // and a block's shared memory within what the device offers. Queries the device.
    static bool supports(const Layout& layout, int device);

    // Only for a layout supports() accepts (DeviceError otherwise).
    FusedPass(DeviceNetwork<T>& network, Regularization<T>& regularization);

    std::string path_name() const override { return cuda_report::kFusedPath; }
    void enqueue(ExampleSet<T>& set, const PassRequest<T>& request) override;

private:
    DeviceNetwork<T>& network_;
    Regularization<T>& regularization_;
    kernels::OneHiddenLayerPlan plan_;
    DeviceBuffer<T> partials_;            // the blocks' gradient shares (resident_blocks x P)
    DeviceBuffer<double> cost_partials_;  // the blocks' cost shares (resident_blocks)
};

}  // namespace digitnet::cuda
