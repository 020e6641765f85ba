#include "training_session.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "digitnet/errors.hpp"

namespace digitnet::serve {

namespace {

// Points of the cost curve kept per run: enough for a smooth line, few enough for the page.
constexpr int kMostCostPoints = 2000;
// Checkpoints per run: accuracy points and pictures of the hidden units as they form.
constexpr int kCheckpoints = 25;

using Clock = std::chrono::steady_clock;

std::string percent(double fraction) {
    char text[16];
    std::snprintf(text, sizeof text, "%.2f%%", 100 * fraction);
    return text;
}

}  // namespace

TrainingSession::TrainingSession(const DataFile& data, Device device, Precision precision,
                                 std::function<void(std::shared_ptr<const ServedModel>)> on_trained)
    : data_(data), device_(device), precision_(precision), on_trained_(std::move(on_trained)) {}

TrainingSession::~TrainingSession() {
    stop_ = true;
    if (worker_.joinable()) worker_.join();
}

bool TrainingSession::start(const TrainingRequest& request) {
    std::lock_guard lock(mutex_);
    if (state_.state == "running") return false;
    if (worker_.joinable()) worker_.join();  // the last run has finished: its thread only has to end
    const int run_number = state_.run + 1;
    state_ = TrainingSnapshot{};
    state_.state = "running";
    state_.request = request;
    state_.run = run_number;
    costs_.clear();
    stop_ = false;
    worker_ = std::thread([this, request, run_number] { run(request, run_number); });
    return true;
}

void TrainingSession::stop() { stop_ = true; }

bool TrainingSession::running() const {
    std::lock_guard lock(mutex_);
    return state_.state == "running";
}

TrainingSnapshot TrainingSession::snapshot(int costs_since) const {
    std::lock_guard lock(mutex_);
    TrainingSnapshot copy = state_;
    copy.costs_total = static_cast<int>(costs_.size());
    const std::size_t from = static_cast<std::size_t>(std::clamp(costs_since, 0, copy.costs_total));
    copy.costs.assign(costs_.begin() + static_cast<std::ptrdiff_t>(from), costs_.end());
    return copy;
}

std::shared_ptr<const Parameters> TrainingSession::latest_units() const {
    std::lock_guard lock(mutex_);
    return units_;
}

void TrainingSession::run(TrainingRequest request, int run_number) {
    const auto finish = [&](const std::string& state, const std::string& message) {
        std::lock_guard lock(mutex_);
        state_.state = state;
        state_.message = message;
    };
    try {
        const Dataset& train = data_.train;
        const Parameters initial = random_parameters(
            make_layout(train.features(), {request.hidden}, train.classes, request.activation, request.output), 1);
        std::string note;
        auto backend = make_backend(device_, precision_, initial.layout, train, &note);
        backend->set_parameters(initial);

        TrainingPlan plan;
        plan.optimizer = request.optimizer;
        plan.lambda = request.lambda;
        plan.gradient_descent = {request.iterations, request.alpha};
        plan.minibatch.epochs = request.iterations;
        plan.minibatch.learning_rate = request.learning_rate;
        const int batch = std::min(plan.minibatch.batch, train.examples());
        const int steps = request.optimizer == Optimizer::Adam
                              ? request.iterations * ((train.examples() + batch - 1) / batch)
                              : request.iterations;
        {
            std::lock_guard lock(mutex_);
            state_.total = steps;
            state_.device = backend->device_name();
            state_.message = note;
            cost_stride_ = std::max(1, (steps + kMostCostPoints - 1) / kMostCostPoints);
        }

        // Accuracy on both sets and the hidden units, at the parameters the backend holds now.
        // Its time is kept out of the time per iteration.
        Clock::duration evaluating{};
        const auto checkpoint = [&](const Parameters& parameters, int done) {
            const auto begin = Clock::now();
            AccuracyPoint point{done, accuracy(predict_classes(backend->output(train.X)), train.labels), -1.0};
            if (data_.test) point.test = accuracy(predict_classes(backend->output(data_.test->X)), data_.test->labels);
            auto units = std::make_shared<const Parameters>(parameters);
            evaluating += Clock::now() - begin;
            std::lock_guard lock(mutex_);
            state_.accuracy.push_back(point);
            units_ = std::move(units);
            ++state_.units_version;
        };
        checkpoint(initial, 0);

        const auto start = Clock::now();
        plan.checkpoint_every = std::max(1, steps / kCheckpoints);
        plan.on_checkpoint = checkpoint;
        plan.on_progress = [&](int done, double cost) {
            const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start - evaluating).count();
            std::lock_guard lock(mutex_);
            state_.iteration = done;
            state_.ms_per_iteration = done > 0 ? ms / done : 0.0;
            if (done % cost_stride_ == 0 || done == steps) costs_.emplace_back(done, cost);
        };
        plan.interrupt = &stop_;
        const TrainingOutcome outcome = run_training(*backend, plan);

        if (outcome.diverged_at) {
            finish("diverged", "the cost stopped being a number at iteration " + std::to_string(*outcome.diverged_at) +
                                   "; try a smaller alpha or learning rate");
            return;
        }
        const int done = static_cast<int>(outcome.history.size());
        const Parameters trained = backend->parameters();
        checkpoint(trained, done);
        auto model = std::make_shared<ServedModel>();
        model->parameters = trained;
        model->info = model_info_for(train);
        AccuracyPoint last;
        {
            std::lock_guard lock(mutex_);
            last = state_.accuracy.back();
        }
        model->description = "trained here (run " + std::to_string(run_number) + "): " + trained.layout.describe() +
                             ", " + to_string(request.optimizer) + ", " + std::to_string(done) + " iterations, train " +
                             percent(last.train) + (last.test >= 0 ? ", test " + percent(last.test) : "");
        on_trained_(model);
        finish(outcome.interrupted ? "stopped" : "done",
               outcome.interrupted ? "stopped after " + std::to_string(done) + " iterations; the model so far is in use"
                                   : "done; the new model is in use");
    } catch (const std::exception& e) {
        finish("failed", e.what());
    }
}

}  // namespace digitnet::serve
