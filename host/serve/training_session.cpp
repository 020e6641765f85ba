#include "training_session.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>

#include "digitnet/distributed/communicator.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/run/run.hpp"

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

using json = nlohmann::json;

// A field that must be a number within [low, high] (a whole number when `whole`).
std::optional<double> number_field(const json& body, const std::string& name, double low, double high, bool whole) {
    if (!body.contains(name)) return std::nullopt;
    const json& value = body[name];
    if (!value.is_number()) throw InputError(name + " must be a number");
    const double v = value.get<double>();
    if (!std::isfinite(v) || v < low || v > high || (whole && v != std::floor(v)))
        throw InputError(name + " must be " + (whole ? "a whole number " : "a number ") + "from " + json(low).dump() +
                         " to " + json(high).dump());
    return v;
}

std::string name_field(const json& body, const std::string& name, const std::string& fallback) {
    if (!body.contains(name)) return fallback;
    if (!body[name].is_string()) throw InputError(name + " must be a name (a string)");
    return body[name].get<std::string>();
}

}  // namespace

TrainingRequest parse_training_json(const std::string& text) {
    const json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!body.is_object()) throw InputError("the body must be a JSON object");
    TrainingRequest r;
    const run::Door page = run::Door::Page;
    // A misspelt or unknown setting is refused, not silently ignored.
    std::vector<std::string> known{"activation", "output", "hidden", "lambda"};
    for (const run::SettingSpelling& s : run::settings_table())
        if (s.page) known.emplace_back(s.page);
    for (const auto& item : body.items()) {
        if (std::find(known.begin(), known.end(), item.key()) != known.end()) continue;
        std::string list;
        for (const std::string& k : known) list.append(list.empty() ? "" : ", ").append(k);
        std::string shown = json(item.key()).dump();  // quoted and escaped: one line whatever it holds
        if (shown.size() > 40) shown = shown.substr(0, 36) + "...\"";
        throw InputError(shown + " is not a setting here (the settings: " + list + ")");
    }
    r.optimizer = run::parse_optimizer(name_field(body, run::name_of(run::Setting::Optimizer, page), "gd"), page);
    r.activation = parse_activation(name_field(body, "activation", "sigmoid"), "activation");
    r.output = parse_output(name_field(body, "output", "sigmoid"), "output");
    if (const auto v = number_field(body, "hidden", 1, 1024, true)) r.hidden = static_cast<int>(*v);
    if (const auto v = number_field(body, "lambda", 0, 1000, false)) r.lambda = *v;
    // The optimizers' own options, by the table; the page's bounds on each.
    run::OptimizerSettings settings;
    settings.optimizer = r.optimizer;
    for (const run::SettingSpelling& s : run::settings_table()) {
        if (s.optimizers.empty() || !s.page) continue;
        const double most = s.setting == run::Setting::Iterations ? 100000
                            : s.setting == run::Setting::Epochs   ? 1000
                                                                  : 1e6;
        const double least = s.whole ? 1 : 1e-9;
        if (const auto v = number_field(body, s.page, least, most, s.whole))
            run::set_optimizer_option(settings, s.setting, *v, page);
    }
    r.iterations = settings.optimizer == Optimizer::Adam ? settings.epochs : settings.iterations;
    r.alpha = settings.alpha;
    r.learning_rate = settings.learning_rate;
    r.settings = settings;
    run::check_options_apply(r.optimizer, settings.given, page);
    return r;
}

run::RunRequest run_request_for(const TrainingRequest& request, Device device, Precision precision) {
    run::RunRequest r;
    r.door = run::Door::Page;
    r.network.hidden = {request.hidden};
    r.network.hidden_given = true;
    r.network.activation = request.activation;
    r.network.output = request.output;
    r.optimizer = request.settings;
    r.lambda = request.lambda;
    r.seed = 1;
    r.device = device;
    r.precision = precision;
    return r;
}

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
    stopped_model_.reset();
    keep_requested_ = false;
    stop_ = false;
    worker_ = std::thread([this, request, run_number] { run(request, run_number); });
    return true;
}

void TrainingSession::stop(bool keep_model) {
    if (keep_model) {
        std::lock_guard lock(mutex_);
        keep_requested_ = true;
    }
    stop_ = true;
    if (keep_model) keep();  // the run may have stopped already
}

bool TrainingSession::keep() {
    std::shared_ptr<const ServedModel> model;
    {
        std::lock_guard lock(mutex_);
        if (!stopped_model_) return false;
        model = std::move(stopped_model_);
        stopped_model_.reset();
        state_.keepable = false;
        state_.message = "kept: the stopped run's model is in use";
    }
    on_trained_(model);
    return true;
}

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
        const run::RunRequest r = run_request_for(request, device_, precision_);
        // Accuracy on both sets and the hidden units, at the parameters the backend holds now.
        // Its time is kept out of the time per iteration.
        Clock::duration evaluating{};
        const auto checkpoint = [&](Backend& backend, const Parameters& parameters, int done) {
            const auto begin = Clock::now();
            AccuracyPoint point{done, accuracy(predict_classes(backend.output(train.X)), train.labels), -1.0};
            if (data_.test) point.test = accuracy(predict_classes(backend.output(data_.test->X)), data_.test->labels);
            auto units = std::make_shared<const Parameters>(parameters);
            evaluating += Clock::now() - begin;
            std::lock_guard lock(mutex_);
            state_.accuracy.push_back(point);
            units_ = std::move(units);
            ++state_.units_version;
        };
        Clock::time_point start = Clock::now();
        int steps = 0;
        run::RunHooks hooks;
        hooks.interrupt = &stop_;
        hooks.on_note = [&](const std::string& note) {
            std::lock_guard lock(mutex_);
            state_.message = note;
        };
        hooks.on_start = [&](Backend& backend, const Parameters& initial, int planned) {
            steps = planned;
            {
                std::lock_guard lock(mutex_);
                state_.total = steps;
                state_.device = backend.device_name();
                cost_stride_ = std::max(1, (steps + kMostCostPoints - 1) / kMostCostPoints);
            }
            checkpoint(backend, initial, 0);
            start = Clock::now();
        };
        hooks.checkpoint_every = std::max(1, run::planned_steps(r.optimizer, train.examples()) / kCheckpoints);
        hooks.on_checkpoint = checkpoint;
        hooks.on_progress = [&](int done, double cost) {
            const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start - evaluating).count();
            std::lock_guard lock(mutex_);
            state_.iteration = done;
            state_.ms_per_iteration = done > 0 ? ms / done : 0.0;
            if (done % cost_stride_ == 0 || done == steps) costs_.emplace_back(done, cost);
        };
        run::RunInputs inputs;
        inputs.train = &train;
        inputs.test = data_.test ? &*data_.test : nullptr;
        run::RunResult result;
        try {
            auto single = make_single_process_communicator();
            result = run::run_request(r, *single, inputs, hooks);
        } catch (const TrainingDiverged& e) {
            finish("diverged", e.what());
            return;
        }
        const int done = static_cast<int>(result.history.size());
        {
            std::lock_guard lock(mutex_);
            state_.accuracy.push_back(AccuracyPoint{done, result.train_accuracy, result.test_accuracy.value_or(-1.0)});
            units_ = std::make_shared<const Parameters>(result.model.parameters);
            ++state_.units_version;
        }
        auto model = std::make_shared<ServedModel>();
        model->parameters = result.model.parameters;
        model->info = result.model.info;
        model->description = "trained here (run " + std::to_string(run_number) + "): " + result.layout.describe() +
                             ", " + to_string(request.optimizer) + ", " + std::to_string(done) + " iterations, train " +
                             percent(result.train_accuracy) +
                             (result.test_accuracy ? ", test " + percent(*result.test_accuracy) : "");
        {
            std::lock_guard lock(mutex_);
            if (result.interrupted && !keep_requested_) {
                stopped_model_ = model;
                state_.keepable = true;
                state_.state = "stopped";
                state_.message = "stopped after " + std::to_string(done) +
                                 " iterations; the model in use is unchanged (Keep puts this run's model in use)";
                return;
            }
        }
        on_trained_(model);
        finish(result.interrupted ? "stopped" : "done",
               result.interrupted ? "stopped after " + std::to_string(done) + " iterations; kept: this model is in use"
                                  : "done; the new model is in use");
    } catch (const std::exception& e) {
        finish("failed", e.what());
    }
}

}  // namespace digitnet::serve
