// The regularisation side branch (regularization.hpp).
#include "regularization.hpp"

#include <cstddef>
#include <vector>

#include "cuda_check.hpp"
#include "regularized_cost.cuh"
#include "regularized_gradient_init.cuh"

namespace digitnet::cuda {

template <class T>
Regularization<T>::Regularization(DeviceNetwork<T>& network) : network_(network) {
    const Layout& layout = network_.layout();
    const auto parameters = static_cast<std::size_t>(network_.parameter_count());
    mask_ = DeviceBuffer<T>(parameters, "the regularisation mask");
    std::vector<T> mask(parameters, T(1));
    for (int l = 1; l <= layout.layers(); ++l)
        for (int row = 0; row < layout.theta_rows(l); ++row)
            mask[layout.theta_offset(l) + static_cast<std::size_t>(row) * layout.theta_cols(l)] = T(0);
    mask_.upload(mask.data(), mask.size(), network_.stream());
    square_partials_ = DeviceBuffer<double>(
        static_cast<std::size_t>(kernels::regularized_gradient_init_partials(network_.parameter_count())),
        "the regularisation partials");
    side_ = make_stream();
    fork_ = make_event();
    regularized_ = make_event();
    cost_terms_ = make_event();
    join_ = make_event();
    CUDA_CHECK(cudaStreamSynchronize(network_.stream()));  // before `mask` is freed
}

template <class T>
void Regularization<T>::enqueue_gradient_term(double lambda, int m) {
    CUDA_CHECK(cudaEventRecord(fork_.get(), network_.stream()));
    CUDA_CHECK(cudaStreamWaitEvent(side_.get(), fork_.get(), 0));
    kernels::regularized_gradient_init(network_.parameter_count(), network_.theta(), mask_.data(),
                                       static_cast<T>(lambda / m), network_.grad(), square_partials_.data(),
                                       side_.get());
    CUDA_CHECK(cudaEventRecord(regularized_.get(), side_.get()));
}

template <class T>
void Regularization<T>::enqueue_cost(const double* cost_partials, int count, double lambda, int m, double* history,
                                     int* iteration) {
    CUDA_CHECK(cudaEventRecord(cost_terms_.get(), network_.stream()));
    CUDA_CHECK(cudaStreamWaitEvent(side_.get(), cost_terms_.get(), 0));
    kernels::regularized_cost(cost_partials, count, square_partials_.data(), static_cast<int>(square_partials_.size()),
                              1.0 / m, lambda / (2.0 * m), history, iteration, side_.get());
    CUDA_CHECK(cudaEventRecord(join_.get(), side_.get()));
    CUDA_CHECK(cudaStreamWaitEvent(network_.stream(), regularized_.get(), 0));
}

template <class T>
void Regularization<T>::enqueue_join() {
    CUDA_CHECK(cudaStreamWaitEvent(network_.stream(), join_.get(), 0));
}

template class Regularization<float>;
template class Regularization<double>;

}  // namespace digitnet::cuda
