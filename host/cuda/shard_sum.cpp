// One shard's iteration of data-parallel gradient descent (shard_sum.hpp).
#include "shard_sum.hpp"

#include <atomic>
#include <stdexcept>
#include <string>

#include "cuda_check.hpp"
#include "digitnet/errors.hpp"
#include "gradient_descent_update.cuh"
#include "regularized_cost.cuh"

namespace digitnet::cuda {

template <class T>
ShardSum<T>::ShardSum(DeviceNetwork<T>& network, DeviceSum& sum)
    : network_(network),
      sum_(sum),
      inverse_total_(1, "1/m of the data-parallel run"),
      scalars_(3, "the summed cost and requests"),
      cost_position_(1, "the shard cost's position"),
      request_(2) {
    request(false, 1);
    scalars_.fill_zero(network_.stream());
    CUDA_CHECK(cudaStreamSynchronize(network_.stream()));
}

// The copy in each iteration reads these two doubles while the host may be writing them: each is
// stored whole (atomic_ref), so the device sees the old value or the new one.
template <class T>
void ShardSum<T>::request(bool stop, int chunk_proposal) {
    std::atomic_ref<double>(request_[0]).store(stop ? 1.0 : 0.0);
    std::atomic_ref<double>(request_[1]).store(static_cast<double>(chunk_proposal));
}

template <class T>
bool ShardSum<T>::set_total_examples(int total) {
    if (total < 1) throw std::invalid_argument("a data-parallel run needs at least one example");
    if (total == total_) return false;
    const T inverse = static_cast<T>(1.0 / total);
    inverse_total_.upload(&inverse, 1, network_.stream());
    CUDA_CHECK(cudaStreamSynchronize(network_.stream()));
    total_ = total;
    return true;
}

template <class T>
void ShardSum<T>::warm_up() {
    if (warmed_up_) return;
    sum_.sum_on_device(network_.grad(), static_cast<std::size_t>(network_.parameter_count()), scalars_.data(),
                       scalars_.size(), network_.stream());
    CUDA_CHECK(cudaStreamSynchronize(network_.stream()));
    warmed_up_ = true;
}

template <class T>
void ShardSum<T>::enqueue_iteration(GradientPass<T>& pass, ExampleSet<T>& shard, const GradientDescentSteps& steps,
                                    double* history, int* iteration) {
    if (total_ < shard.m())
        throw std::logic_error("ShardSum: the global m (" + std::to_string(total_) + ") is below the shard's (" +
                               std::to_string(shard.m()) + ")");
    const cudaStream_t stream = network_.stream();
    const ShardTerms terms = shard_terms(sum_.rank(), steps.lambda, total_);
    cost_position_.fill_zero(stream);
    pass.enqueue(shard, {.lambda = terms.lambda,
                         .history = scalars_.data(),
                         .iteration = cost_position_.data(),
                         .divide_by = Divisor<T>{.m = terms.divide_by, .inverse_m = inverse_total_.data()}});
    // From pinned memory, read when the graph runs (not when it was captured).
    CUDA_CHECK(
        cudaMemcpyAsync(scalars_.data() + 1, request_.data(), 2 * sizeof(double), cudaMemcpyHostToDevice, stream));
    sum_.sum_on_device(network_.grad(), static_cast<std::size_t>(network_.parameter_count()), scalars_.data(),
                       scalars_.size(), stream);
    // history[*iteration] = J, ++*iteration: regularized_cost with the one summed partial, no
    // squares and a factor of 1 is that copy, bit for bit.
    kernels::regularized_cost(scalars_.data(), 1, nullptr, 0, 1.0, 0.0, history, iteration, stream);
    kernels::gradient_descent_update(network_.parameter_count(), static_cast<T>(steps.alpha), network_.grad(),
                                     network_.theta(), stream);
}

template class ShardSum<float>;
template class ShardSum<double>;

}  // namespace digitnet::cuda
