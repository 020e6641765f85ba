#pragma once
// A pass: J and its gradient over a set of examples, queued on the device (usable eagerly and
// under graph capture). Three implementations:
//   GeneralPass (general_pass.hpp)  cuBLAS GEMMs and per-step kernels: any layout, activation, output
//   FusedPass (fused_pass.hpp)      kernels/one_hidden_layer_gradient.cu: one hidden layer of at most
//                                   32 sigmoid units, at most 32 sigmoid outputs (the seed's 400-25-10)
//   PersistentPass (persistent_pass.hpp)  kernels/persistent_training.cu: the same shapes, a chunk
//                                   of gradient-descent iterations in one cooperative launch (not
//                                   captured in graphs: runs_iterations())
// make_gradient_pass picks one, falling back from persistent to fused to general where a pass does
// not support the layout on this device (as tiny-cuda-nn's create_network falls back from
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
    // What device_name() shows of the path beside the GPU: "fused", "persistent", or "" (general).
    virtual std::string path_name() const = 0;
    // J over the first set.m() examples of `set` at the network's current Theta, the gradient into
    // the network's grad, and the step, all queued on the network's stream (with the
    // regularisation's side branch). Returns without waiting.
    virtual void enqueue(ExampleSet<T>& set, const PassRequest<T>& request) = 0;

    // A pass that queues many gradient-descent iterations at once (the persistent kernel) says so;
    // the gradient-descent loop (graph_loop.hpp) then calls enqueue_iterations once a chunk instead
    // of capturing enqueue into graphs.
    virtual bool runs_iterations() const { return false; }
    // `count` iterations of `steps` (alpha, lambda), J of each into history[*iteration] and
    // ++*iteration, queued without waiting. Only where runs_iterations().
    virtual void enqueue_iterations(ExampleSet<T>& set, const GradientDescentSteps& steps, double* history,
                                    int* iteration, int count);
};

// The persistent pass where `path` asks for it and PersistentPass supports the layout on the current
// device; the fused pass where `path` asks for it (Automatic: in float only; Persistent: as its
// fallback) and FusedPass supports it; the general pass otherwise. When the persistent path was asked
// for and is not taken, *fallback (when not null) says why, in words for device_name().
template <class T>
std::unique_ptr<GradientPass<T>> make_gradient_pass(DeviceNetwork<T>& network, Regularization<T>& regularization,
                                                    OneHiddenLayerPath path, std::string* fallback = nullptr);

}  // namespace digitnet::cuda
