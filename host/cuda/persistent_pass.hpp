#pragma once
// The persistent pass: gradient descent on a network with one small sigmoid hidden layer and
// sigmoid outputs (the seed's 400-25-10) with a whole chunk of iterations in one cooperative launch
// (kernels/persistent_training.cu): no graphs, no side branch, two grid barriers an iteration.
// Chosen only when asked for (OneHiddenLayerPath::Persistent) until a GPU has measured it.
#include <string>

#include "gradient_pass.hpp"
#include "persistent_training.cuh"

namespace digitnet::cuda {

template <class T>
class PersistentPass final : public GradientPass<T> {
public:
    // Empty when the persistent kernel takes this layout on this device (one hidden layer of at
    // most 32 sigmoid units, at most 32 sigmoid outputs, the shared memory, cooperative launches);
    // otherwise why not, in words. Queries the device.
    static std::string unavailable(const Layout& layout, int device);

    // Only for a layout unavailable() accepts (DeviceError otherwise).
    explicit PersistentPass(DeviceNetwork<T>& network);

    std::string path_name() const override { return "persistent"; }
    // One launch of one iteration (cost_and_gradient, mini-batches, the warm-up).
    void enqueue(ExampleSet<T>& set, const PassRequest<T>& request) override;
    bool runs_iterations() const override { return true; }
    void enqueue_iterations(ExampleSet<T>& set, const GradientDescentSteps& steps, double* history, int* iteration,
                            int count) override;

private:
    void launch(ExampleSet<T>& set, int iterations, double lambda, double alpha, bool step, double* history,
                int* iteration);

    DeviceNetwork<T>& network_;
    kernels::PersistentTrainingPlan plan_;
    DeviceBuffer<T> partials_;              // the blocks' gradient shares (resident_blocks x P)
    DeviceBuffer<double> cost_partials_;    // the blocks' cost shares (resident_blocks)
    DeviceBuffer<double> square_partials_;  // the blocks' shares of the regularisation's squares
};

}  // namespace digitnet::cuda
