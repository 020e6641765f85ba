// The fused pass (fused_pass.hpp), in two launches on the main stream, the regularisation branch
// on the side as in the general pass:
//   stream:  one_hidden_layer_gradient_partials ── (wait regularized) sum_gradient_partials ── (wait join)
//   side:    regularized_gradient_init ── (wait cost terms) regularized_cost ──┘
// sum_gradient_partials adds the blocks' shares, times 1/m, to grad (which holds the
// regularisation term by then) and, with step_alpha, takes the gradient-descent step. Without the
// gradient it is left out (the cost is the same number either way: the same kernel sums it).
// On an H100 the seed's iteration takes 26.4 us this way against 57 us through cuBLAS, whose
// split-K kernels for its thin shapes add their own reduction launches (bench/RESULTS.md).
#include "fused_pass.hpp"

#include <cstddef>

#include "cuda_check.hpp"
#include "digitnet/errors.hpp"

namespace digitnet::cuda {

namespace {

// The plan for the layout on the current device; not usable() where the fused kernels do not
// take the layout (structure, activation, output, sizes) or the device lacks the shared memory.
template <class T>
kernels::OneHiddenLayerPlan plan_for(const Layout& layout) {
    if (layout.layers() != 2 || layout.hidden != Activation::Sigmoid || layout.output != Output::Sigmoid) return {};
    return kernels::plan_one_hidden_layer<T>(layout.inputs() + 1, layout.sizes[1], layout.classes());
}

}  // namespace

template <class T>
bool FusedPass<T>::supports(const Layout& layout, int device) {
    CUDA_CHECK(cudaSetDevice(device));
    return plan_for<T>(layout).usable();
}

template <class T>
FusedPass<T>::FusedPass(DeviceNetwork<T>& network, Regularization<T>& regularization)
    : network_(network), regularization_(regularization), plan_(plan_for<T>(network.layout())) {
    if (!plan_.usable())
        throw DeviceError("the fused pass cannot run network " + network_.layout().describe() + " on this GPU");
    const auto resident = static_cast<std::size_t>(plan_.resident_blocks);
    partials_ = DeviceBuffer<T>(resident * static_cast<std::size_t>(network_.parameter_count()),
                                "the fused kernel's gradient shares");
    cost_partials_ = DeviceBuffer<double>(resident, "the fused kernel's cost shares");
}

template <class T>
void FusedPass<T>::enqueue(ExampleSet<T>& set, const PassRequest<T>& request) {
    const int m = set.m();
    const int divisor = request.divide_by ? request.divide_by->m : m;
    const int blocks = plan_.blocks(m);
    regularization_.enqueue_gradient_term(request.lambda, divisor);
    kernels::one_hidden_layer_gradient_partials(plan_, m, set.act.a[0].data(), set.Y.data(), network_.theta(),
                                                partials_.data(), cost_partials_.data(), network_.stream());
    regularization_.enqueue_cost(cost_partials_.data(), blocks, request.lambda, divisor, request.history,
                                 request.iteration);
    if (request.with_gradient)
        kernels::sum_gradient_partials(network_.parameter_count(), blocks, partials_.data(),
                                       static_cast<T>(1.0 / divisor), network_.grad(),
                                       static_cast<T>(request.step_alpha.value_or(0.0)),
                                       request.step_alpha ? network_.theta() : nullptr, network_.stream());
    regularization_.enqueue_join();
}

template class FusedPass<float>;
template class FusedPass<double>;

}  // namespace digitnet::cuda
