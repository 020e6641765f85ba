#pragma once
// A pass: J and its gradient over a set of examples, queued on the device (usable eagerly and
// under graph capture). Two implementations:
//   GeneralPass (general_pass.hpp)  cuBLAS GEMMs and per-step kernels: any layout, activation, output
//   FusedPass (fused_pass.hpp)      kernels/one_hidden_layer_gradient.cu: one hidden layer of at most
//                                   32 sigmoid units, at most 32 sigmoid outputs (the seed's 400-25-10)
// make_gradient_pass picks one, falling back from fused to general where the fused pass does not
// support the layout on this device (as tiny-cuda-nn's create_network falls back from
// FullyFusedMLP to CutlassMLP).
#include <memory>
#include <optional>
#include <string>

#include "device_network.hpp"
#include "digitnet/cuda/cuda_backend.hpp"
#include "example_set.hpp"
#include "regularization.hpp"

namespace digitnet::cuda {

// The m a pass divides its sums by when it is not the set's own: a shard of a data-parallel run
// divides by the global m (shard_sum.hpp), so that the shards' results add up to J and its gradient.
template <class T>
struct Divisor {
    int m = 0;
    const T* inverse_m = nullptr;  // 1/m in device memory: the gradient GEMMs' alpha
};

// What one pass is asked to do.
template <class T>
struct PassRequest {
    double lambda = 0.0;
    bool with_gradient = true;  // without: J only (the gradient buffer is then left undefined)
    double* history = nullptr;  // J goes to history[*iteration] (device memory), then ++*iteration
    int* iteration = nullptr;
    std::optional<double> step_alpha;     // also Theta -= step_alpha grad: one gradient-descent step
    std::optional<Divisor<T>> divide_by;  // none: the set's own m
};

template <class T>
class GradientPass {
public:
    virtual ~GradientPass() = default;
    // DeviceReport::path: cuda_report::kFusedPath, or "" (general).
    virtual std::string path_name() const = 0;
    // J over the first set.m() examples of `set` at the network's current Theta, the gradient into
    // the network's grad, and the step, all queued on the network's stream (with the
    // regularisation's side branch). Returns without waiting.
    virtual void enqueue(ExampleSet<T>& set, const PassRequest<T>& request) = 0;
};

// The fused pass where `path` asks for it (Automatic: in float only) and FusedPass supports the
// layout on the current device; the general pass otherwise.
template <class T>
std::unique_ptr<GradientPass<T>> make_gradient_pass(DeviceNetwork<T>& network, Regularization<T>& regularization,
                                                    OneHiddenLayerPath path);

}  // namespace digitnet::cuda
