#pragma once
// The settings of a training run and how each door spells them: the one table that says, for each
// setting, its command-line flag, its Python keyword and its field in the page's JSON, and for the
// optimizers' own options which optimizers take them. The parser of optimizer names and the check
// that every option given belongs to the chosen optimizer read this table; so do the messages,
// which name a setting the way the door the user came through spells it ("--lr", "learning_rate").
//
// A new optimizer option is one row here (and a field of OptimizerSettings, request.hpp), plus the
// line at each door that reads it (main.cpp, functions.py/bind_train.cpp, training_session.cpp).
#include <optional>
#include <string>
#include <vector>

#include "digitnet/train/trainer.hpp"

namespace digitnet::run {

// Where a request came from: its messages use that door's spelling.
enum class Door { Cli, Python, Page };

enum class Setting {
    Iterations,    // gd steps, cg line searches
    Alpha,         // gd's step size
    Epochs,        // adam: passes over the data
    Batch,         // adam: mini-batch size
    LearningRate,  // adam
    Lambda,
    Hidden,
    Activation,
    Output,
    Optimizer,
    Seed,
    Precision,
    Device,
    Data,
    TestData,
    Init,
    Save,
    History,
    CheckpointEvery,
};

struct SettingSpelling {
    Setting setting;
    const char* cli;     // "--lr"
    const char* python;  // "learning_rate"
    const char* page;    // "lr"; nullptr where the page has no such field
    // The optimizers that take it; empty: the setting is not an optimizer's own (every run has it).
    std::vector<Optimizer> optimizers;
    bool whole = false;  // an optimizer option that is a whole number (iterations), not any number
};

// Every setting, once.
const std::vector<SettingSpelling>& settings_table();

// The setting's name at `door` ("--lr", "learning_rate", "lr").
std::string name_of(Setting setting, Door door);

// The setting a door's name stands for (for translating "given" lists), nullopt when none.
std::optional<Setting> setting_named(const std::string& name, Door door);

// "gd", "cg", "adam": the optimizers' names, in the order the doors list them.
const std::vector<std::string>& optimizer_names();

// The optimizer called `name`; InputError naming the choices otherwise ("--optimizer must be one of
// gd, cg, adam, got 'sgd'"), spelled for `door`.
Optimizer parse_optimizer(const std::string& name, Door door);

// Throws InputError when a setting in `given` is an option of other optimizers than `chosen`
// ("--lr is an option of --optimizer adam, not of gd, which would ignore it").
void check_options_apply(Optimizer chosen, const std::vector<Setting>& given, Door door);

}  // namespace digitnet::run
