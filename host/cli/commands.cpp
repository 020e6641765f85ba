// The subcommands. Each validates everything it was given before it writes anything, so bad
// input leaves every output file as it was.
#include "commands.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include <nlohmann/json.hpp>

#include "digitnet/io/safe_output.hpp"
#include "digitnet/cpu/cpu_backend.hpp"
#include "digitnet/cuda/cuda_backend.hpp"
#include "digitnet/io/data_loader.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/model/gradient_check.hpp"
#include "digitnet/io/mat_io.hpp"
#include "digitnet/io/png_image.hpp"
#include "digitnet/train/trainer.hpp"
#include "interrupt.hpp"
#include "report.hpp"
#include "safety.hpp"

namespace digitnet::cli {

using json = nlohmann::json;

namespace {

void print_json(const json& object) { std::cout << object.dump() << std::endl; }

// Notes go to stderr (with --json, stdout holds only the JSON object), and not at all with --quiet.
void print_note(const std::string& note, bool quiet) {
    if (note.empty() || quiet) return;
    std::cerr << "digitnet: " << note << '\n';
}

// The backend, after checking the machine (and the GPU, where it would be used) has the memory
// for it: refused with the numbers before any allocation otherwise.
std::unique_ptr<Backend> backend_for(const ComputeOptions& compute, Precision precision, const Layout& layout,
                                     const Dataset& data, bool quiet = false) {
    std::string note;
    ComputeOptions checked = compute;
    checked.precision = precision;
    const Device device = check_memory_for(layout, data.examples(), checked, &note);
    print_note(note, quiet);
    note.clear();
    set_step("setting up the " + std::string(device == Device::Cpu ? "CPU" : "compute") + " backend");
    auto backend = make_backend(device, precision, layout, data, &note);
    print_note(note, quiet);
    return backend;
}

// The network's output size must cover every label of the data.
void check_model_fits(const Parameters& model, const std::string& model_path, const Dataset& data) {
    const Layout& layout = model.layout;
    if (layout.inputs() != data.features())
        throw InputError(model_path + ": the model takes " + std::to_string(layout.inputs()) + " inputs but " +
                         data.source + " has " + std::to_string(data.features()) + " features per example");
    if (layout.classes() < data.classes)
        throw InputError(model_path + ": the model has " + std::to_string(layout.classes()) + " outputs but " +
                         data.source + " has labels up to " + std::to_string(data.classes - 1 + data.label_base));
}

// Plain text, every write checked (safe_output.hpp).
void write_text_file(const std::string& path, const std::string& text) { write_output_file(path, text); }

// A model records how its outputs map to labels (model_info.hpp); data of the other convention
// would be scored against the wrong outputs (label 10 is the digit 0 in one, label 0 in the other).
void check_label_convention(int model_label_base, const std::string& model_path, const Dataset& data) {
    if (model_label_base == data.label_base) return;
    auto convention = [](int base) {
        return base == 1 ? std::string("labels 1..K (the ex4 .mat convention, 10 for the digit 0)") : std::string("labels that are the digits 0..9");
    };
    throw InputError(model_path + ": the model was trained on " + convention(model_label_base) + " but " + data.source + " has " +
                     convention(data.label_base) + "; its accuracy there would be meaningless. HINT: use data of the model's convention");
}

std::vector<int> file_labels(const Dataset& data, int classes) {
    std::vector<int> labels;
    for (int k = 0; k < classes; ++k) labels.push_back(k + data.label_base);
    return labels;
}

std::string format_number(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", value);
    return text;
}

std::string percent(double fraction) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f%%", fraction * 100.0);
    return text;
}

}  // namespace

std::string data_path_or_default(const std::string& given) {
    if (!given.empty()) return given;
    const std::string local = "data/digits20.mat";
    std::error_code ec;
    if (std::filesystem::exists(local, ec)) return local;
    return std::string(DIGITNET_SOURCE_DIR) + "/data/digits20.mat";
}

int run_train(const TrainOptions& o) {
    if (!(o.alpha > 0) || !std::isfinite(o.alpha)) throw InputError("--alpha must be a positive number, got " + std::to_string(o.alpha));
    if (!(o.lambda >= 0) || !std::isfinite(o.lambda)) throw InputError("--lambda must be zero or positive, got " + std::to_string(o.lambda));
    if (o.iterations < 1) throw InputError("--iters must be at least 1, got " + std::to_string(o.iterations));
    if (o.epochs < 1) throw InputError("--epochs must be at least 1, got " + std::to_string(o.epochs));
    if (o.batch < 1) throw InputError("--batch must be at least 1, got " + std::to_string(o.batch));
    if (!(o.learning_rate > 0) || !std::isfinite(o.learning_rate))
        throw InputError("--lr must be a positive number, got " + format_number(o.learning_rate));
    for (int h : o.hidden)
        if (h < 1) throw InputError("--hidden: every hidden layer needs at least 1 unit, got " + std::to_string(h));
    check_optimizer_options(o.optimizer, o.given);
    check_output_path(o.save, "--save");
    check_output_path(o.history, "--history");
    if (o.checkpoint_every < 0) throw InputError("--checkpoint-every must be zero (off) or positive");
    if (o.checkpoint_every > 0 && o.save.empty()) throw InputError("--checkpoint-every needs --save, the file the checkpoints go to");

    const std::string data_path = data_path_or_default(o.data);
    check_outputs_are_not_inputs({{"--save", o.save}, {"--history", o.history}},
                                 {{"--data", data_path}, {"--test-data", o.test_data}, {"--init", o.init}});
    set_step("loading the data set " + data_path);
    DataFile file = load_data(data_path);
    if (!o.test_data.empty()) file.test = load_test_data(o.test_data, file.train);
    const Dataset& train = file.train;

    Parameters initial;
    if (!o.init.empty()) {
        initial = load_weights(o.init);
        check_model_fits(initial, o.init, train);
        if (o.hidden_given) {
            const std::vector<int> hidden(initial.layout.sizes.begin() + 1, initial.layout.sizes.end() - 1);
            if (hidden != o.hidden)
                throw InputError(o.init + ": its hidden layers (" + initial.layout.describe() + ") differ from --hidden");
        }
    } else {
        const Layout layout = make_layout(train.features(), o.hidden, train.classes);
        check_memory_for(layout, train.examples(), o.compute, nullptr);  // before the weights take their share
        set_step("making the network " + layout.describe());
        initial = random_parameters(layout, o.seed);
    }

    auto backend = backend_for(o.compute, o.compute.precision, initial.layout, train, o.quiet);
    backend->set_parameters(initial);

    TrainingPlan plan;
    plan.optimizer = o.optimizer == "cg" ? Optimizer::ConjugateGradient : o.optimizer == "adam" ? Optimizer::Adam : Optimizer::GradientDescent;
    plan.gradient_descent = {o.iterations, o.alpha, o.lambda};
    plan.adam.epochs = o.epochs;
    plan.adam.batch = o.batch;
    plan.adam.learning_rate = o.learning_rate;
    plan.adam.seed = o.seed;
    const int batch = std::min(o.batch, train.examples());
    const int steps = plan.optimizer == Optimizer::Adam ? o.epochs * ((train.examples() + batch - 1) / batch) : o.iterations;
    ProgressBar bar(steps, !o.quiet && !o.json);
    plan.on_progress = [&bar](int done, double cost) { bar.update(done, cost); };
    plan.interrupt = &install_interrupt_handler();
    plan.checkpoint_every = o.checkpoint_every;
    // Model files record what the inputs looked like, so `predict --image` can convert a picture.
    const ModelInfo info = model_info_for(train);
    plan.on_checkpoint = [&o, &info](const Parameters& parameters, int) { save_weights(o.save, parameters, "", &info); };

    set_step("training");
    const auto start = std::chrono::steady_clock::now();
    const TrainingOutcome outcome = run_training(*backend, plan);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    bar.finish();
    const std::vector<double>& history = outcome.history;

    if (outcome.diverged_at) {
        // Nothing is saved: the weights are no longer numbers, and an existing model stays as it was.
        const auto at = static_cast<std::size_t>(*outcome.diverged_at - 1);
        throw TrainingDiverged(divergence_message(o, train.examples(), *outcome.diverged_at, history[at], history.front()));
    }

    set_step("evaluating the trained network");
    const double final_cost = backend->cost_and_gradient(o.lambda, nullptr);
    const double train_accuracy = accuracy(predict_classes(backend->output(train.X)), train.labels);
    std::optional<double> test_accuracy;
    if (file.test) test_accuracy = accuracy(predict_classes(backend->output(file.test->X)), file.test->labels);

    // An interrupted run keeps what it did: the model and the history so far, and its summary.
    set_step("saving the model");
    const Parameters trained = backend->parameters();
    if (!o.save.empty()) save_weights(o.save, trained, "", &info);
    if (!o.history.empty()) {
        // Row i: the cost after i updates (row 0 the starting weights, the last row the final cost).
        std::string csv = "iteration,cost\n";
        for (std::size_t i = 0; i <= history.size(); ++i) {
            char line[64];
            std::snprintf(line, sizeof line, "%zu,%.10g\n", i, i < history.size() ? history[i] : final_cost);
            csv += line;
        }
        write_text_file(o.history, csv);
    }
    if (outcome.interrupted)
        std::fprintf(stderr, "digitnet: interrupted after %zu of %d iterations%s\n", history.size(), steps,
                     o.save.empty() ? "; nothing saved (no --save)" : ("; model saved to " + o.save).c_str());

    if (o.json) {
        json out{{"final_cost", final_cost},
                 {"train_accuracy", train_accuracy},
                 {"iterations", history.size()},
                 {"optimizer", to_string(plan.optimizer)},
                 {"seconds", seconds},
                 {"device", to_string(backend->device())},
                 {"device_name", backend->device_name()},
                 {"precision", to_string(backend->precision())},
                 {"layout", initial.layout.describe()},
                 {"examples", train.examples()},
                 {"data", data_path},
                 {"interrupted", outcome.interrupted}};
        if (test_accuracy) out["test_accuracy"] = *test_accuracy;
        if (!o.test_data.empty()) out["test_data"] = o.test_data;
        if (!o.save.empty()) out["model"] = o.save;
        if (!o.history.empty()) out["history"] = o.history;
        print_json(out);
    } else {
        std::printf("%s %s on %s (%d examples), %s, %s\n", outcome.interrupted ? "interrupted: partly trained" : "trained",
                    initial.layout.describe().c_str(), data_path.c_str(), train.examples(), backend->device_name().c_str(),
                    to_string(backend->precision()));
        if (plan.optimizer == Optimizer::Adam)
            std::printf("  optimizer       adam: %s (%s of batches of %d, lr %g, lambda %g)\n",
                        count_of(long(history.size()), "step", "steps").c_str(), count_of(o.epochs, "epoch", "epochs").c_str(),
                        batch, o.learning_rate, o.lambda);
        else if (plan.optimizer == Optimizer::ConjugateGradient)
            std::printf("  optimizer       cg: %s (lambda %g)\n", count_of(long(history.size()), "line search", "line searches").c_str(),
                        o.lambda);
        else
            std::printf("  iterations      %zu (alpha %g, lambda %g)\n", history.size(), o.alpha, o.lambda);
        std::printf("  final cost      %.6f\n", final_cost);
        std::printf("  train accuracy  %s\n", percent(train_accuracy).c_str());
        if (test_accuracy) std::printf("  test accuracy   %s (%d held-out examples)\n", percent(*test_accuracy).c_str(), file.test->examples());
        std::printf("  time            %.3f s (%.3f ms per iteration)\n", seconds,
                    history.empty() ? 0.0 : seconds * 1e3 / double(history.size()));
        if (!o.save.empty()) std::printf("  model saved to  %s\n", o.save.c_str());
    }
    std::fflush(stdout);
    return outcome.interrupted ? kExitInterrupted : 0;
}

int run_cost(const CostOptions& o) {
    if (!(o.lambda >= 0) || !std::isfinite(o.lambda)) throw InputError("--lambda must be zero or positive, got " + std::to_string(o.lambda));
    check_output_path(o.gradient_out, "--grad");
    const std::string data_path = data_path_or_default(o.data);
    check_outputs_are_not_inputs({{"--grad", o.gradient_out}}, {{"--model", o.model}, {"--data", data_path}});
    const Parameters model = load_weights(o.model);
    const DataFile file = load_data(data_path);
    check_model_fits(model, o.model, file.train);

    auto backend = backend_for(o.compute, o.compute.precision, model.layout, file.train);
    backend->set_parameters(model);
    Parameters gradient;
    const double cost = backend->cost_and_gradient(o.lambda, o.gradient_out.empty() ? nullptr : &gradient);
    if (!o.gradient_out.empty()) save_weights(o.gradient_out, gradient, "_grad");

    if (o.json) {
        json out{{"cost", cost}, {"lambda", o.lambda}, {"examples", file.train.examples()},
                 {"device", to_string(backend->device())}, {"precision", to_string(backend->precision())}};
        if (!o.gradient_out.empty()) out["gradient_file"] = o.gradient_out;
        print_json(out);
    } else {
        std::printf("Cost at parameters (lambda %g, %d examples): %.6f\n", o.lambda, file.train.examples(), cost);
        if (!o.gradient_out.empty()) std::printf("gradient written to %s\n", o.gradient_out.c_str());
    }
    return 0;
}

int run_predict(const PredictOptions& o) {
    if (!o.image.empty()) return run_predict_image(o);
    if (o.set != "train" && o.set != "test") throw InputError("--set must be train or test, got " + o.set);
    const Parameters model = load_weights(o.model);
    const std::string data_path = data_path_or_default(o.data);
    DataFile file;
    if (!o.test_data.empty()) {
        // The test examples come from --test-data; --data, when given, is the training set they must fit.
        if (o.set != "test") throw InputError("--test-data names test examples: it goes with --set test, not --set " + o.set);
        file.test = o.data.empty() ? load_test_set(o.test_data) : load_test_data(o.test_data, load_data(data_path).train);
    } else {
        file = load_data(data_path);
    }
    if (o.set == "test" && !file.test)
        throw InputError(data_path + ": --set test, but the file has no test set (Xtest/ytest, or t10k-* IDX files); "
                         "HINT: give one with --test-data");
    const Dataset& data = o.set == "test" ? *file.test : file.train;
    check_model_fits(model, o.model, data);
    check_label_convention(load_model_info(o.model, model.layout.inputs()).label_base, o.model, data);

    auto backend = backend_for(o.compute, o.compute.precision, model.layout, data);
    backend->set_parameters(model);
    const std::vector<int> predicted = predict_classes(backend->output(data.X));
    const int classes = model.layout.classes();
    std::vector<std::vector<long>> confusion(static_cast<std::size_t>(classes), std::vector<long>(static_cast<std::size_t>(classes), 0));
    for (std::size_t i = 0; i < predicted.size(); ++i)
        ++confusion[static_cast<std::size_t>(data.labels[i])][static_cast<std::size_t>(predicted[i])];
    const double fraction = accuracy(predicted, data.labels);
    const std::vector<int> labels = file_labels(data, classes);

    if (o.json) {
        print_json(json{{"accuracy", fraction}, {"examples", data.examples()}, {"confusion", confusion},
                        {"labels", labels}, {"set", o.set}, {"device", to_string(backend->device())}});
    } else {
        std::printf("accuracy %s on the %s set of %s (%d examples)\n", percent(fraction).c_str(), o.set.c_str(),
                    (o.test_data.empty() ? data_path : o.test_data).c_str(), data.examples());
        std::printf("%s", confusion_text(confusion, labels).c_str());
    }
    return 0;
}

int run_gradcheck(const GradcheckOptions& o) {
    if (!(o.lambda >= 0) || !std::isfinite(o.lambda)) throw InputError("--lambda must be zero or positive, got " + std::to_string(o.lambda));
    if (o.compute.precision_given && o.compute.precision != Precision::Double)
        throw InputError("--precision float: the gradient check runs in double precision only");
    if (o.examples < 1) throw InputError("--examples must be at least 1");

    struct Check {
        std::string name;
        Dataset data;
        Parameters at;
    };
    std::vector<Check> checks;
    CheckProblem small = small_check_problem({5});
    checks.push_back({"small network 3-5-3, 5 examples", small.data, small.parameters});

    // A random subset of the real data, on the seed's network shape.
    const std::string data_path = data_path_or_default(o.data);
    const DataFile file = load_data(data_path);
    Dataset subset = file.train;
    std::mt19937_64 generator(o.seed);
    std::vector<int> order(static_cast<std::size_t>(file.train.examples()));
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
    std::shuffle(order.begin(), order.end(), generator);
    const int count = std::min(o.examples, file.train.examples());
    subset.X = Matrix<double>(count, file.train.features());
    subset.labels.clear();
    for (int i = 0; i < count; ++i) {
        const int source = order[static_cast<std::size_t>(i)];
        std::copy(file.train.X.row(source), file.train.X.row(source) + file.train.features(), subset.X.row(i));
        subset.labels.push_back(file.train.labels[static_cast<std::size_t>(source)]);
    }
    const Layout layout = make_layout(subset.features(), {25}, subset.classes);
    checks.push_back({count_of(count, "random example", "random examples") + " of " + data_path + ", network " + layout.describe(),
                      subset, random_parameters(layout, o.seed)});

    json results = json::array();
    double worst = 0.0;
    std::string device_name;
    for (const Check& check : checks) {
        auto backend = backend_for(o.compute, Precision::Double, check.at.layout, check.data);
        device_name = backend->device_name();
        auto cost = [&](const Parameters& p) {
            backend->set_parameters(p);
            return backend->cost_and_gradient(o.lambda, nullptr);
        };
        const Parameters numerical = numerical_gradient(cost, check.at, 1e-4);
        Parameters analytic;
        backend->set_parameters(check.at);
        backend->cost_and_gradient(o.lambda, &analytic);
        const double difference = relative_difference(numerical, analytic);
        worst = std::max(worst, std::isnan(difference) ? INFINITY : difference);
        results.push_back({{"check", check.name}, {"parameters", check.at.values.size()}, {"relative_difference", difference}});
        if (!o.json)
            std::printf("%-70s %8zu parameters  relative difference %.3e\n", check.name.c_str(), check.at.values.size(), difference);
    }
    const bool passed = worst < 1e-9;
    if (o.json) {
        print_json(json{{"relative_difference", worst}, {"passed", passed}, {"lambda", o.lambda}, {"epsilon", 1e-4},
                        {"device", device_name}, {"checks", results}});
    } else {
        std::printf("%s: worst relative difference %.3e (must be under 1e-9; lambda %g, epsilon 1e-4, %s)\n",
                    passed ? "PASSED" : "FAILED", worst, o.lambda, device_name.c_str());
    }
    return passed ? 0 : 1;
}

int run_show(const ShowOptions& o) {
    check_png_name(o.out, "--out");
    check_output_path(o.out, "--out");
    check_outputs_are_not_inputs({{"--out", o.out}}, {{"--data", data_path_or_default(o.data)}, {"--model", o.model}});
    if (o.count < 1) throw InputError("--count must be at least 1");
    GrayImage image;
    std::string what;
    if (!o.model.empty()) {
        const Parameters model = load_weights(o.model);
        ImageShape shape = load_model_info(o.model, model.layout.inputs()).image;  // row-major for IDX/CSV-trained models
        if (!o.data.empty()) shape = load_data(o.data).train.image;
        image = hidden_units(model, shape);
        what = std::to_string(model.layout.theta_rows(1)) + " hidden units of " + o.model;
    } else {
        const std::string data_path = data_path_or_default(o.data);
        const DataFile file = load_data(data_path);
        image = random_digits(file.train, o.count, o.seed);
        what = count_of(std::min(o.count, file.train.examples()), "random example", "random examples") + " of " + data_path;
    }
    write_png(o.out, image);
    if (o.json)
        print_json(json{{"out", o.out}, {"width", image.width}, {"height", image.height}, {"shows", what}});
    else
        std::printf("wrote %s (%d x %d): %s\n", o.out.c_str(), image.width, image.height, what.c_str());
    return 0;
}

int run_info(const InfoOptions& o) {
    const auto gpu = gpu_info();
    json gpu_json = nullptr;
    if (gpu)
        gpu_json = {{"name", gpu->name},
                    {"compute_capability", std::to_string(gpu->compute_major) + "." + std::to_string(gpu->compute_minor)},
                    {"memory_bytes", gpu->total_memory},
                    {"free_bytes", gpu->free_memory}};
    if (o.json) {
        print_json(json{{"version", DIGITNET_VERSION}, {"cuda_compiled", cuda_compiled_in()}, {"gpu", gpu_json},
                        {"blas", blas_name()}});
        return 0;
    }
    std::printf("digitnet %s\n", DIGITNET_VERSION);
    std::printf("  CUDA backend  %s\n", cuda_compiled_in() ? "compiled in" : "not compiled in (no nvcc at build time)");
    if (gpu)
        std::printf("  GPU           %s, compute capability %d.%d, %.1f GiB (%.1f GiB free)\n", gpu->name.c_str(),
                    gpu->compute_major, gpu->compute_minor, double(gpu->total_memory) / (1 << 30),
                    double(gpu->free_memory) / (1 << 30));
    else
        std::printf("  GPU           none found%s\n", cuda_compiled_in() ? "" : " (not looked for)");
    std::printf("  BLAS          %s\n", blas_name().c_str());
    return 0;
}

}  // namespace digitnet::cli
