// The persistent pass (persistent_pass.hpp): every pass is one cooperative launch of
// kernels::persistent_training on the network's stream, which computes J, the gradient with its
// regularisation, and (when asked) the step itself; there is no side branch to join.
#include "persistent_pass.hpp"

#include <cstddef>
#include <stdexcept>

#include "cuda_check.hpp"
#include "digitnet/errors.hpp"

namespace digitnet::cuda {

namespace {

// The plan for the layout on the current device; unusable (with the reason) where the persistent
// kernel does not take the layout or the device cannot co-schedule its grid.
template <class T>
kernels::PersistentTrainingPlan plan_for(const Layout& layout) {
    if (layout.layers() != 2 || layout.hidden != Activation::Sigmoid || layout.output != Output::Sigmoid) {
        kernels::PersistentTrainingPlan plan;
        plan.unavailable = "network " + layout.describe() + " is not one sigmoid hidden layer with sigmoid outputs";
        return plan;
    }
    return kernels::plan_persistent_training<T>(layout.inputs() + 1, layout.sizes[1], layout.classes());
}

}  // namespace

template <class T>
std::string PersistentPass<T>::unavailable(const Layout& layout, int device) {
    CUDA_CHECK(cudaSetDevice(device));
    return plan_for<T>(layout).unavailable;
}

template <class T>
PersistentPass<T>::PersistentPass(DeviceNetwork<T>& network) : network_(network), plan_(plan_for<T>(network.layout())) {
    if (!plan_.usable())
        throw DeviceError("the persistent pass cannot run network " + network_.layout().describe() +
                          " on this GPU: " + plan_.unavailable);
    const auto resident = static_cast<std::size_t>(plan_.tiles.resident_blocks);
    partials_ = DeviceBuffer<T>(plan_.partial_count(), "the persistent kernel's gradient shares");
    cost_partials_ = DeviceBuffer<double>(resident, "the persistent kernel's cost shares");
    square_partials_ = DeviceBuffer<double>(resident, "the persistent kernel's regularisation shares");
}

template <class T>
void PersistentPass<T>::launch(ExampleSet<T>& set, int iterations, double lambda, double alpha, bool step,
                               double* history, int* iteration) {
    kernels::PersistentTrainingRun<T> run;
    run.m = set.m();
    run.a0 = set.act.a[0].data();
    run.Y = set.Y.data();
    run.theta = network_.theta();
    run.grad = network_.grad();
    run.partials = partials_.data();
    run.cost_partials = cost_partials_.data();
    run.square_partials = square_partials_.data();
    run.history = history;
    run.iteration = iteration;
    run.iterations = iterations;
    run.lambda = lambda;
    run.alpha = alpha;
    run.step = step;
    kernels::persistent_training(plan_, run, network_.stream());
}

template <class T>
void PersistentPass<T>::enqueue(ExampleSet<T>& set, const PassRequest<T>& request) {
    // The kernel divides by the set's own m; a data-parallel shard never takes this pass (the CUDA
    // backend with a DeviceSum asks for the fused one instead).
    if (request.divide_by) throw std::logic_error("the persistent pass divides by the set's own m only");
    launch(set, 1, request.lambda, request.step_alpha.value_or(0.0), request.step_alpha.has_value(), request.history,
           request.iteration);
}

template <class T>
void PersistentPass<T>::enqueue_iterations(ExampleSet<T>& set, const GradientDescentSteps& steps, double* history,
                                           int* iteration, int count) {
    launch(set, count, steps.lambda, steps.alpha, true, history, iteration);
}

template class PersistentPass<float>;
template class PersistentPass<double>;

}  // namespace digitnet::cuda
