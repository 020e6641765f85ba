#include "digitnet/run/request.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "digitnet/errors.hpp"
#include "digitnet/io/model_file.hpp"
#include "digitnet/io/onnx_export.hpp"
#include "digitnet/run/checks.hpp"

namespace digitnet::run {

namespace {

// "--alpha" at the command line, "alpha:" in Python (its messages start with the argument's name).
std::string subject(Setting setting, Door door) { return name_of(setting, door) + (door == Door::Python ? ":" : ""); }

std::string number(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", value);
    return text;
}

void positive(double value, Setting setting, Door door) {
    if (!(value > 0) || !std::isfinite(value))
        throw InputError(subject(setting, door) + " must be positive, got " + number(value));
}

void at_least_one(long long value, Setting setting, Door door) {
    if (value < 1) throw InputError(subject(setting, door) + " must be at least 1, got " + std::to_string(value));
}

void output_name(const std::optional<std::string>& path, Setting setting, Door door) {
    if (path) check_path_text(*path, name_of(setting, door));
}

}  // namespace

void validate_request(const RunRequest& r) {
    const Door door = r.door;
    const OptimizerSettings& o = r.optimizer;
    check_options_apply(o.optimizer, o.given, door);
    positive(o.alpha, Setting::Alpha, door);
    positive(o.learning_rate, Setting::LearningRate, door);
    at_least_one(o.iterations, Setting::Iterations, door);
    at_least_one(o.epochs, Setting::Epochs, door);
    at_least_one(o.batch, Setting::Batch, door);
    if (!(r.lambda >= 0) || !std::isfinite(r.lambda))
        throw InputError(subject(Setting::Lambda, door) + " must be zero or positive, got " + number(r.lambda));
    if (r.network.hidden.empty() && !r.init)
        throw InputError(subject(Setting::Hidden, door) + " needs at least one hidden layer");
    for (std::size_t i = 0; i < r.network.hidden.size(); ++i)
        if (r.network.hidden[i] < 1)
            throw InputError(subject(Setting::Hidden, door) + " every hidden layer needs at least 1 unit, got " +
                             std::to_string(r.network.hidden[i]));
    if (r.checkpoint_every < 0)
        throw InputError(subject(Setting::CheckpointEvery, door) + " must be zero (off) or positive");
    output_name(r.save, Setting::Save, door);
    output_name(r.history, Setting::History, door);
    if (r.init) check_path_text(*r.init, name_of(Setting::Init, door));
    if (!r.data_path.empty()) check_path_text(r.data_path, name_of(Setting::Data, door));
    if (!r.test_data_path.empty()) check_path_text(r.test_data_path, name_of(Setting::TestData, door));
    if (r.checkpoint_every > 0 && !r.save)
        throw InputError(name_of(Setting::CheckpointEvery, door) + " needs " + name_of(Setting::Save, door) +
                         ", the file the checkpoints go to");
    if (r.save && model_format_of(*r.save) == ModelFormat::Onnx) {
        const std::string save = name_of(Setting::Save, door) + " " + *r.save;
        if (!onnx_compiled_in()) throw UnavailableError(save + ": this digitnet was built without ONNX");
        if (r.checkpoint_every > 0)
            throw InputError(save + ": checkpoints are resumed with " + name_of(Setting::Init, door) +
                             ", which reads .mat, .safetensors and .npz but not .onnx");
    }
}

void set_optimizer_option(OptimizerSettings& o, Setting setting, double value, Door door) {
    const auto whole = [&](int& field) {
        if (!std::isfinite(value) || value != std::floor(value) || std::fabs(value) > 2147483647.0)
            throw InputError(subject(setting, door) + " must be a whole number below 2^31, got " + number(value));
        field = static_cast<int>(value);
    };
    switch (setting) {
        case Setting::Iterations:
            whole(o.iterations);
            break;
        case Setting::Epochs:
            whole(o.epochs);
            break;
        case Setting::Batch:
            whole(o.batch);
            break;
        case Setting::Alpha:
            o.alpha = value;
            break;
        case Setting::LearningRate:
            o.learning_rate = value;
            break;
        default:
            throw InputError(name_of(setting, door) + " is not an option of an optimizer");
    }
    o.given.push_back(setting);
}

int planned_steps(const OptimizerSettings& o, int examples) {
    if (o.optimizer != Optimizer::Adam) return o.iterations;
    const int batch = std::max(1, std::min(o.batch, examples));
    return o.epochs * ((examples + batch - 1) / batch);
}

TrainingPlan training_plan(const RunRequest& r) {
    TrainingPlan plan;
    plan.optimizer = r.optimizer.optimizer;
    plan.lambda = r.lambda;
    plan.gradient_descent = {r.optimizer.iterations, r.optimizer.alpha};
    plan.minibatch.epochs = r.optimizer.epochs;
    plan.minibatch.batch = r.optimizer.batch;
    plan.minibatch.learning_rate = r.optimizer.learning_rate;
    plan.minibatch.seed = r.seed;
    plan.checkpoint_every = r.checkpoint_every;
    return plan;
}

}  // namespace digitnet::run
