// The example sets on the device (example_set.hpp): upload, one-hot labels, mini-batch gathering.
#include "example_set.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "cuda_check.hpp"
#include "digitnet/errors.hpp"
#include "gather_rows.cuh"
#include "launch_config.cuh"
#include "one_hot.cuh"
#include "prepend_bias.cuh"
#include "sigmoid_output_delta_cost.cuh"
#include "softmax_output_delta_cost.cuh"

namespace digitnet::cuda {

namespace {

// The buffers of an ExampleSet for `capacity` examples (act.m = capacity until a batch sets it);
// with_rows adds room for `capacity` row indices after 1/m. Nothing is uploaded here.
template <class T>
ExampleSet<T> make_example_set(const Layout& layout, int capacity, bool with_rows) {
    const int L = layout.layers();
    const auto examples = static_cast<std::size_t>(capacity);
    ExampleSet<T> set;
    set.capacity = capacity;
    set.act = make_activations<T>(layout, capacity);
    set.Y = DeviceBuffer<T>(examples * layout.classes(), "the one-hot labels Y");
    set.delta.resize(static_cast<std::size_t>(L) + 1);
    for (int l = 1; l <= L; ++l) set.delta[l] = DeviceBuffer<T>(examples * layout.sizes[l], "a layer's deltas");
    set.header = DeviceBuffer<std::byte>(ExampleSet<T>::kScalarBytes + (with_rows ? examples * sizeof(int) : 0),
                                         "1/m and the row indices");
    set.cost_partials =
        DeviceBuffer<double>(static_cast<std::size_t>(output_cost_partials(layout, capacity)), "the cost partials");
    return set;
}

}  // namespace

template <class T>
Activations<T> make_activations(const Layout& layout, int m) {
    const int L = layout.layers();
    Activations<T> activations;
    activations.m = m;
    activations.a.reserve(static_cast<std::size_t>(L));
    for (int l = 0; l < L; ++l)
        activations.a.emplace_back(static_cast<std::size_t>(m) * (layout.sizes[l] + 1), "a layer's activations");
    activations.z_out = DeviceBuffer<T>(static_cast<std::size_t>(m) * layout.classes(), "the output layer");
    return activations;
}

template <class T>
void upload_inputs(const Matrix<double>& X, Activations<T>& activations, cudaStream_t stream) {
    DeviceBuffer<double> staging(X.size(), "the uploaded X");
    staging.upload(X.data.data(), X.size(), stream);
    kernels::prepend_bias(X.rows, X.cols, staging.data(), activations.a[0].data(), stream);
    CUDA_CHECK(cudaStreamSynchronize(stream));  // before `staging` is freed
}

int output_cost_partials(const Layout& layout, int m) {
    if (layout.output == Output::Softmax) return kernels::softmax_output_delta_cost_partials(m);
    return kernels::sigmoid_output_delta_cost_partials(m, layout.classes());
}

template <class T>
DeviceExamples<T>::DeviceExamples(const Layout& layout, const Dataset& train, cudaStream_t stream)
    : layout_(layout), stream_(stream) {
    const int L = layout_.layers();
    const int m = train.examples();
    for (int l = 0; l <= L; ++l) widest_row_ = std::max(widest_row_, layout_.sizes[l] + (l < L ? 1 : 0));
    // Every launch and GEMM dimension over the set must fit an int: m times the widest row.
    if (static_cast<std::size_t>(m) >
        static_cast<std::size_t>(kernels::kMaxLinearElements) / static_cast<std::size_t>(widest_row_))
        throw InputError((train.source.empty() ? std::string("the training set") : train.source) + ": " +
                         std::to_string(m) + " examples are too many for the GPU backend");
    train_ = make_example_set<T>(layout_, m, false);
    upload_inputs(train.X, train_.act, stream_);
    DeviceBuffer<int> labels(static_cast<std::size_t>(m), "the labels");
    labels.upload(train.labels.data(), train.labels.size(), stream_);
    // Y has the network's K columns: a set with fewer classes (check_fits allows it) has zeros there.
    kernels::one_hot(m, layout_.classes(), labels.data(), train_.Y.data(), stream_);
    const T inverse_m = static_cast<T>(1.0 / m);
    // Pageable source: the runtime stages it before returning, so `inverse_m` may go out of scope.
    CUDA_CHECK(cudaMemcpyAsync(train_.header.data(), &inverse_m, sizeof(T), cudaMemcpyHostToDevice, stream_));
    CUDA_CHECK(cudaStreamSynchronize(stream_));  // before `labels` is freed
}

// Grows only: a smaller batch uses a prefix, so steady-state mini-batch training allocates nothing.
// The old buffers are freed first (lower peak memory); no work on them is pending, as every call
// waits for its stream before returning (and cudaFree waits for the device besides).
template <class T>
void DeviceExamples<T>::reserve_batch(int m) {
    if (m <= batch_.capacity) return;
    batch_ = ExampleSet<T>{};
    batch_staging_ = PinnedBuffer<std::byte>{};
    batch_ = make_example_set<T>(layout_, m, true);
    batch_staging_ = PinnedBuffer<std::byte>(ExampleSet<T>::kScalarBytes + static_cast<std::size_t>(m) * sizeof(int));
}

template <class T>
ExampleSet<T>& DeviceExamples<T>::gather(std::span<const int> rows) {
    if (rows.empty()) throw InputError("a mini-batch needs at least one example");
    const int examples = train_.m();
    for (const int row : rows)
        if (row < 0 || row >= examples)
            throw InputError("mini-batch row " + std::to_string(row) + " is outside the training set (0.." +
                             std::to_string(examples - 1) + ")");
    if (rows.size() > static_cast<std::size_t>(kernels::kMaxLinearElements) / static_cast<std::size_t>(widest_row_))
        throw InputError("a mini-batch of " + std::to_string(rows.size()) +
                         " examples is too large for the GPU backend");
    const int m = static_cast<int>(rows.size());
    reserve_batch(m);

    // One upload: 1/m then the row indices, into batch_.header. The staging buffer is free to
    // overwrite: the previous call's caller waited for the stream.
    const T inverse_m = static_cast<T>(1.0 / m);
    std::memcpy(batch_staging_.data(), &inverse_m, ExampleSet<T>::kScalarBytes);
    std::memcpy(batch_staging_.data() + ExampleSet<T>::kScalarBytes, rows.data(), rows.size_bytes());
    CUDA_CHECK(cudaMemcpyAsync(batch_.header.data(), batch_staging_.data(),
                               ExampleSet<T>::kScalarBytes + rows.size_bytes(), cudaMemcpyHostToDevice, stream_));
    batch_.act.m = m;

    // batch A0[i, :] = train A0[rows[i], :] and batch Y[i, :] = train Y[rows[i], :].
    kernels::gather_rows(m, layout_.inputs() + 1, batch_.rows(), train_.act.a[0].data(), batch_.act.a[0].data(),
                         stream_);
    kernels::gather_rows(m, layout_.classes(), batch_.rows(), train_.Y.data(), batch_.Y.data(), stream_);
    return batch_;
}

template struct Activations<float>;
template struct Activations<double>;
template Activations<float> make_activations<float>(const Layout&, int);
template Activations<double> make_activations<double>(const Layout&, int);
template void upload_inputs<float>(const Matrix<double>&, Activations<float>&, cudaStream_t);
template void upload_inputs<double>(const Matrix<double>&, Activations<double>&, cudaStream_t);
template class DeviceExamples<float>;
template class DeviceExamples<double>;

}  // namespace digitnet::cuda
