#include "minibatch_state.hpp"

#include <algorithm>

#include "digitnet/train/shuffle.hpp"
#include "digitnet/train/update_rules.hpp"
#include "minibatch_update.cuh"

namespace digitnet::cuda {

namespace {

template <class T>
void upload_moments(DeviceBuffer<T>& buffer, const std::vector<double>& saved, std::size_t n, cudaStream_t stream) {
    if (saved.size() != n) {
        buffer.fill_zero(stream);
        return;
    }
    std::vector<T> values(n);
    std::transform(saved.begin(), saved.end(), values.begin(), [](double v) { return static_cast<T>(v); });
    buffer.upload(values.data(), n, stream);
    CUDA_CHECK(cudaStreamSynchronize(stream));  // `values` goes out of scope
}

}  // namespace

template <class T>
MiniBatchState<T>::MiniBatchState(const MiniBatchRun& run, const OptimizerState& state, int examples,
                                  std::size_t parameters, cudaStream_t stream)
    : run_(run),
      examples_(examples),
      parameters_(parameters),
      stream_(stream),
      total_steps_(static_cast<std::int64_t>(run.minibatch.epochs) * steps_per_epoch(examples, run.minibatch.batch)),
      device_order_(static_cast<std::size_t>(examples), "the epoch's permutation"),
      first_(parameters, "the optimizer's first moment"),
      second_(run.optimizer == Optimizer::Adam ? parameters : 0, "the optimizer's second moment") {
    upload_moments(first_, state.first, parameters, stream);
    if (run.optimizer == Optimizer::Adam) upload_moments(second_, state.second, parameters, stream);
}

template <class T>
const int* MiniBatchState<T>::batch_rows(std::int64_t step, int* count) {
    const BatchWindow window = batch_window(step, examples_, run_.minibatch.batch);
    if (window.epoch != epoch_) {
        // The previous epoch's gathers read device_order_: the stream orders the upload after them.
        epoch_permutation(run_.minibatch.seed, window.epoch, examples_, order_);
        device_order_.upload(order_.data(), order_.size(), stream_);
        CUDA_CHECK(cudaStreamSynchronize(stream_));  // order_ is rewritten next epoch
        epoch_ = window.epoch;
    }
    *count = window.size;
    return device_order_.data() + window.start;
}

template <class T>
void MiniBatchState<T>::apply(std::int64_t step, const T* grad, T* theta) {
    const MiniBatchOptions& mb = run_.minibatch;
    const double lr =
        mb.learning_rate * learning_rate_factor(mb.schedule, step, steps_per_epoch(examples_, mb.batch), total_steps_);
    const int n = static_cast<int>(parameters_);
    if (run_.optimizer == Optimizer::Adam)
        kernels::adam_update(n, grad, theta, first_.data(), second_.data(),
                             adam_coefficients<T>(run_.adam, lr, mb.weight_decay, step + 1), stream_);
    else
        kernels::sgd_update(n, grad, theta, first_.data(), sgd_coefficients<T>(run_.sgd, lr, mb.weight_decay), stream_);
}

template <class T>
OptimizerState MiniBatchState<T>::state(std::int64_t steps_done) const {
    OptimizerState s;
    s.optimizer = run_.optimizer;
    s.iterations = steps_done;
    s.seed = run_.minibatch.seed;
    s.batch = run_.minibatch.batch;
    s.examples = examples_;
    const auto download = [&](const DeviceBuffer<T>& buffer, std::vector<double>& out) {
        std::vector<T> values(buffer.size());
        buffer.download(values.data(), values.size(), stream_);
        CUDA_CHECK(cudaStreamSynchronize(stream_));
        out.assign(values.begin(), values.end());
    };
    download(first_, s.first);
    if (run_.optimizer == Optimizer::Adam) download(second_, s.second);
    return s;
}

template class MiniBatchState<float>;
template class MiniBatchState<double>;

}  // namespace digitnet::cuda
