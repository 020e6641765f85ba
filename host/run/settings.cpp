#include "digitnet/run/settings.hpp"

#include <algorithm>

#include "digitnet/errors.hpp"

namespace digitnet::run {

namespace {

constexpr Optimizer gd = Optimizer::GradientDescent, cg = Optimizer::ConjugateGradient, adam = Optimizer::Adam;

const char* spelled(const SettingSpelling& s, Door door) {
    return door == Door::Cli ? s.cli : door == Door::Python ? s.python : s.page;
}

const SettingSpelling& row_of(Setting setting) {
    for (const SettingSpelling& s : settings_table())
        if (s.setting == setting) return s;
    throw std::logic_error("a setting missing from settings_table()");
}

}  // namespace

const std::vector<SettingSpelling>& settings_table() {
    static const std::vector<SettingSpelling> table = {
        {Setting::Iterations, "--iters", "iterations", "iterations", {gd, cg}, true},
        {Setting::Alpha, "--alpha", "alpha", "alpha", {gd}},
        {Setting::Epochs, "--epochs", "epochs", "epochs", {adam}, true},
        {Setting::Batch, "--batch", "batch", "batch", {adam}, true},
        {Setting::LearningRate, "--lr", "learning_rate", "lr", {adam}},
        {Setting::Lambda, "--lambda", "lambda_", "lambda", {}},
        {Setting::Hidden, "--hidden", "hidden", "hidden", {}},
        {Setting::Activation, "--activation", "activation", "activation", {}},
        {Setting::Output, "--output", "output", "output", {}},
        {Setting::Optimizer, "--optimizer", "optimizer", "optimizer", {}},
        {Setting::Seed, "--seed", "seed", nullptr, {}},
        {Setting::Precision, "--precision", "precision", nullptr, {}},
        {Setting::Device, "--device", "device", nullptr, {}},
        {Setting::Data, "--data", "X", nullptr, {}},
        {Setting::TestData, "--test-data", "X_test", nullptr, {}},
        {Setting::Init, "--init", "init", nullptr, {}},
        {Setting::Save, "--save", "path", nullptr, {}},
        {Setting::History, "--history", "history", nullptr, {}},
        {Setting::CheckpointEvery, "--checkpoint-every", "checkpoint_every", nullptr, {}},
    };
    return table;
}

std::string name_of(Setting setting, Door door) {
    const SettingSpelling& s = row_of(setting);
    const char* name = spelled(s, door);
    return name ? name : s.python;  // the page has no field for it: its plain name
}

std::optional<Setting> setting_named(const std::string& name, Door door) {
    for (const SettingSpelling& s : settings_table())
        if (const char* spelling = spelled(s, door); spelling && name == spelling) return s.setting;
    return std::nullopt;
}

const std::vector<std::string>& optimizer_names() {
    static const std::vector<std::string> names = {to_string(gd), to_string(cg), to_string(adam)};
    return names;
}

Optimizer parse_optimizer(const std::string& name, Door door) {
    for (Optimizer o : {gd, cg, adam})
        if (name == to_string(o)) return o;
    throw InputError(name_of(Setting::Optimizer, door) + " must be one of gd, cg, adam, got '" + name + "'");
}

void check_options_apply(Optimizer chosen, const std::vector<Setting>& given, Door door) {
    for (Setting setting : given) {
        const SettingSpelling& s = row_of(setting);
        if (s.optimizers.empty()) continue;
        if (std::find(s.optimizers.begin(), s.optimizers.end(), chosen) != s.optimizers.end()) continue;
        std::string names;
        for (Optimizer o : s.optimizers) names += (names.empty() ? "" : " and ") + std::string(to_string(o));
        const std::string optimizer = door == Door::Python ? "optimizer=" : name_of(Setting::Optimizer, door) + " ";
        throw InputError(name_of(setting, door) + " is an option of " + optimizer + names + ", not of " +
                         to_string(chosen) + ", which would ignore it");
    }
}

}  // namespace digitnet::run
