// The data-parallel backend: local sums, one allreduce, the regularisation once (see the header).
#include "digitnet/distributed/data_parallel_backend.hpp"

#include <chrono>

#include "digitnet/errors.hpp"

namespace digitnet {

DataParallelBackend::DataParallelBackend(std::unique_ptr<Backend> local, Communicator& communicator)
    : local_(std::move(local)), communicator_(communicator) {}

DeviceReport DataParallelBackend::device_report() const {
    DeviceReport report = local_->device_report();
    report.across = communicator_.describe();
    return report;
}

void DataParallelBackend::set_training_set(const Dataset& train) {
    check_fits(layout(), train);
    const RowRange rows = shard_rows(train.examples(), communicator_.rank(), communicator_.size());
    set_training_shard(take_rows(train, rows), rows, train.examples());
}

void DataParallelBackend::set_training_shard(const Dataset& shard, RowRange rows, int total) {
    // Every process needs examples: an empty shard would have no J to add and no backend to hold it.
    if (rows.count < 1)
        throw InputError(shard.source + ": " + std::to_string(total) + " examples for " +
                         std::to_string(communicator_.size()) +
                         " processes; each process needs at least one (start fewer processes)");
    local_->set_training_set(shard);
    rows_ = rows;
    total_ = total;
}

void DataParallelBackend::set_parameters(const Parameters& parameters) {
    local_->set_parameters(parameters);
    theta_ = parameters.values;
}

double DataParallelBackend::cost_and_gradient(double lambda, Parameters* gradient) {
    if (total_ == 0) throw_no_training_set();
    const std::size_t n = gradient ? theta_.size() : 0;
    buffer_.assign(2 + n, 0.0);
    // The shard's sums: its mean without regularisation, times its size.
    const double m_local = rows_.count;
    buffer_[1] = m_local * local_->cost_and_gradient(0.0, gradient ? &local_gradient_ : nullptr);
    for (std::size_t i = 0; i < n; ++i) buffer_[2 + i] = m_local * local_gradient_.values[i];
    return finish(lambda, total_, gradient);
}

double DataParallelBackend::cost_and_gradient_on(std::span<const int> rows, double lambda, Parameters* gradient) {
    if (total_ == 0) throw_no_training_set();
    local_rows_.clear();
    for (const int row : rows) {
        if (row < 0 || row >= total_)
            throw std::out_of_range("cost_and_gradient_on: row " + std::to_string(row) + " out of range");
        if (row >= rows_.first && row < rows_.end()) local_rows_.push_back(row - rows_.first);
    }
    const std::size_t n = gradient ? theta_.size() : 0;
    buffer_.assign(2 + n, 0.0);
    if (!local_rows_.empty()) {
        const double m_local = static_cast<double>(local_rows_.size());
        buffer_[1] = m_local * local_->cost_and_gradient_on(local_rows_, 0.0, gradient ? &local_gradient_ : nullptr);
        for (std::size_t i = 0; i < n; ++i) buffer_[2 + i] = m_local * local_gradient_.values[i];
    }
    return finish(lambda, static_cast<double>(rows.size()), gradient);
}

double DataParallelBackend::finish(double lambda, double m, Parameters* gradient) {
    buffer_[0] = local_interrupt_ && local_interrupt_->load() ? 1.0 : 0.0;
    const auto start = std::chrono::steady_clock::now();
    communicator_.sum(buffer_);
    allreduce_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ++allreduce_count_;
    if (buffer_[0] > 0) agreed_interrupt_ = true;

    // lambda/(2m) |Theta_l[:,1:]|^2 and (lambda/m) [0, Theta_l[:,1:]], from the parameters in
    // double (the same on every process).
    const Layout& shape = layout();
    const double inverse_m = 1.0 / m, reg = lambda / m;
    double squares = 0.0;
    if (gradient) *gradient = Parameters(shape);
    for (int l = 1; l <= shape.layers(); ++l) {
        const int rows = shape.theta_rows(l), cols = shape.theta_cols(l);
        const std::size_t offset = shape.theta_offset(l);
        for (int r = 0; r < rows; ++r)
            for (int c = 0; c < cols; ++c) {
                const std::size_t j = offset + static_cast<std::size_t>(r) * cols + c;
                const double w = c == 0 ? 0.0 : theta_[j];
                squares += w * w;
                if (gradient) gradient->values[j] = buffer_[2 + j] * inverse_m + reg * w;
            }
    }
    return buffer_[1] * inverse_m + lambda / (2.0 * m) * squares;
}

GradientDescentLoop* DataParallelBackend::gradient_descent_loop() {
    ShardGradientDescentLoop* local = local_->shard_gradient_descent_loop();
    if (local == nullptr) return nullptr;
    if (!shard_loop_) shard_loop_ = std::make_unique<ShardLoopAdapter>(*this, *local);
    return shard_loop_.get();
}

// Every process gets the same result from the local loop (its stop is agreed on the device), so
// raising agreed_interrupt() here keeps the trainers of all processes in step: each one sees it,
// and none starts another chunk of iterations that the others would not join.
std::vector<double> DataParallelBackend::ShardLoopAdapter::run(const GradientDescentSteps& steps,
                                                               const TrainingObserver& observer) {
    if (owner_.total_ == 0) throw_no_training_set();
    ShardGradientDescentLoop::Result result = local_.run(steps, owner_.total_, observer, owner_.local_interrupt_);
    if (result.agreed_stop) owner_.agreed_interrupt_ = true;
    // The loop moved the local backend's parameters: the regularisation of later sums needs them.
    owner_.theta_ = owner_.local_->parameters().values;
    return std::move(result.history);
}

}  // namespace digitnet
