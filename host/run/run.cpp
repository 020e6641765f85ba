// A training run behind every door (run.hpp). Moved here from the command line's `train`, which
// was the only door that kept all of the rules; the others now share them.
#include "digitnet/run/run.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "digitnet/cuda/cuda_backend.hpp"
#include "digitnet/distributed/data_parallel_backend.hpp"
#include "digitnet/distributed/mpi_session.hpp"
#include "digitnet/distributed/nccl_communicator.hpp"
#include "digitnet/distributed/shard.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/io/data_loader.hpp"
#include "digitnet/run/checks.hpp"

namespace digitnet::run {

namespace {

std::string number(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", value);
    return text;
}

// The run's steps with the hooks: agreed among the processes, and named for out-of-memory messages.
struct Steps {
    const RunHooks& hooks;
    void agreed(const std::function<void()>& step) const {
        if (hooks.agreed)
            hooks.agreed(step);
        else
            step();
    }
    void named(const std::string& step) const {
        if (hooks.on_step) hooks.on_step(step);
    }
    void note(const std::string& text) const {
        if (!text.empty() && hooks.on_note) hooks.on_note(text);
    }
};

// This process's rows of the training (and test) set, and the sizes of the whole sets.
struct TrainingData {
    std::string name;
    Dataset owned_train;
    std::optional<Dataset> owned_test;
    const Dataset* train = nullptr;
    const Dataset* test = nullptr;
    RowRange train_rows;
    int train_total = 0;
    int test_total = 0;
};

TrainingData load_training_data(const RunRequest& r, const RunInputs& inputs, Communicator& processes,
                                const Steps& steps) {
    TrainingData d;
    if (r.data_path.empty() && inputs.train) {
        d.name = inputs.train->source;
        d.train = inputs.train;
        d.test = inputs.test;
        d.train_rows = {0, d.train->examples()};
        d.train_total = d.train->examples();
        d.test_total = d.test ? d.test->examples() : 0;
        return d;
    }
    d.name = r.data_path.empty() ? default_data_path() : r.data_path;
    steps.named("loading the data set " + d.name);
    if (processes.size() == 1) {
        DataFile file = load_data(d.name);
        if (!r.test_data_path.empty()) file.test = load_test_data(r.test_data_path, file.train);
        d.owned_train = std::move(file.train);
        d.owned_test = std::move(file.test);
    } else {
        // Each process reads its own rows; then they agree on the classes of the whole sets (the
        // largest label anywhere), and check the test set against the training set.
        const RowChooser mine = [&processes](int total) {
            return shard_rows(total, processes.rank(), processes.size());
        };
        DataFileShard file;
        steps.agreed([&] {
            file = load_data_shard(d.name, mine);
            if (!r.test_data_path.empty()) file.test = load_test_set_shard(r.test_data_path, mine);
            if (file.train.total < processes.size())
                throw InputError(d.name + ": " + std::to_string(file.train.total) + " examples for " +
                                 std::to_string(processes.size()) +
                                 " processes; each process needs at least one (start fewer processes)");
        });
        int classes = static_cast<int>(processes.max(file.train.data.classes));
        if (file.test) {
            const int test_classes = static_cast<int>(processes.max(file.test->data.classes));
            // A data file's own test set widens the classes (as load_data does); --test-data must fit.
            if (r.test_data_path.empty()) classes = std::max(classes, test_classes);
        }
        file.train.data.classes = classes;
        steps.agreed([&] {
            if (file.test) check_test_fits(file.test->data, file.train.data);
        });
        d.owned_train = std::move(file.train.data);
        d.train_rows = file.train.rows;
        d.train_total = file.train.total;
        if (file.test) {
            d.owned_test = std::move(file.test->data);
            d.test_total = file.test->total;
        }
        d.train = &d.owned_train;
        d.test = d.owned_test ? &*d.owned_test : nullptr;
        return d;
    }
    d.train = &d.owned_train;
    d.test = d.owned_test ? &*d.owned_test : nullptr;
    d.train_rows = {0, d.train->examples()};
    d.train_total = d.train->examples();
    d.test_total = d.test ? d.test->examples() : 0;
    return d;
}

// The starting weights: random ones for the requested layout (after the memory check, before the
// weights take their share), or the initial model, checked against the data and the request.
Parameters initial_parameters(const RunRequest& r, const RunInputs& inputs, const Dataset& train, const Steps& steps) {
    const Door door = r.door;
    std::optional<ModelFile> init = inputs.init;
    std::string init_name = name_of(Setting::Init, door);
    if (r.init) {
        // A file without digitnet's metadata (a PyTorch state_dict) is what the network options say.
        init = read_model(*r.init, init_name, ModelAssumptions{r.network.activation, r.network.output, std::nullopt});
        init_name = *r.init;
    }
    if (!init) {
        const Layout layout =
            make_layout(train.features(), r.network.hidden, train.classes,
                        r.network.activation.value_or(Activation::Sigmoid), r.network.output.value_or(Output::Sigmoid));
        check_memory_for(layout, train.examples(), r.device, r.precision, nullptr, name_of(Setting::Hidden, door));
        steps.named("making the network " + layout.describe());
        return random_parameters(layout, r.seed);
    }
    check_model_meets_data(*init, init_name, train);
    const Layout& own = init->parameters.layout;
    if (r.network.hidden_given) {
        const std::vector<int> hidden(own.sizes.begin() + 1, own.sizes.end() - 1);
        if (hidden != r.network.hidden)
            throw InputError(init_name + ": its hidden layers (" + own.describe() + ") differ from " +
                             name_of(Setting::Hidden, door));
    }
    if (r.network.activation && *r.network.activation != own.hidden)
        throw InputError(init_name + ": its hidden layers use " + to_string(own.hidden) + ", not " +
                         name_of(Setting::Activation, door) + " " + to_string(*r.network.activation));
    if (r.network.output && *r.network.output != own.output)
        throw InputError(init_name + ": its output is " + std::string(to_string(own.output)) + ", not " +
                         name_of(Setting::Output, door) + " " + to_string(*r.network.output));
    check_memory_for(own, train.examples(), r.device, r.precision, nullptr, name_of(Setting::Hidden, door));
    return init->parameters;
}

// The backend that trains: the chosen one, or with several processes a data-parallel one around
// it (gradients summed by NCCL between GPUs where the build has it, by MPI otherwise). With NCCL,
// the local GPU backend is made again with NCCL as its DeviceSum, so that gd sums inside its CUDA
// graph (cuda_backend.hpp, CudaOptions::device_sum); cg and adam sum through the host as before.
struct TrainingBackend {
    std::unique_ptr<NcclCommunicator> nccl;  // before the backend: it must outlive it
    std::unique_ptr<Backend> backend;
    DataParallelBackend* parallel = nullptr;
    std::string note;
};

// Two steps with several processes, so that the choice of NCCL, a collective, falls between two
// agreed steps: make the local backend (agreed), choose (every process), then wrap it (agreed).
TrainingBackend make_training_backend(const RunRequest& r, const Parameters& initial, const TrainingData& data,
                                      Communicator& processes, const Steps& steps) {
    TrainingBackend made;
    if (processes.size() == 1) {
        // The machine (and the GPU, where it would be used) must have the memory for it.
        std::string note;
        const Device device = check_memory_for(initial.layout, data.train->examples(), r.device, r.precision, &note,
                                               name_of(Setting::Hidden, r.door));
        steps.note(note);
        steps.named("setting up the " + std::string(device == Device::Cpu ? "CPU" : "compute") + " backend");
        made.backend = make_backend(device, r.precision, initial.layout, *data.train, &made.note);
        made.backend->set_parameters(initial);
        return made;
    }
    std::unique_ptr<Backend> local;
    steps.agreed([&] {
        check_fits(initial.layout, *data.train);
        local = make_backend(r.device, r.precision, initial.layout, &made.note);
    });
    // NCCL only when every process has a GPU: its setup waits for all of them.
    const bool all_on_gpus = processes.min(local->device() == Device::Gpu ? 1 : 0) == 1;
    steps.agreed([&] {
        Communicator* sums = &processes;
        if (all_on_gpus && nccl_compiled_in()) {
            made.nccl = make_nccl_communicator(processes);
            sums = made.nccl.get();
            CudaOptions options;
            options.device_sum = made.nccl.get();
            local.reset();  // before the new one: one set of buffers on the GPU at a time
            local = make_cuda_backend(r.precision, initial.layout, options);
        }
        auto parallel = std::make_unique<DataParallelBackend>(std::move(local), *sums);
        parallel->set_training_shard(*data.train, data.train_rows, data.train_total);
        parallel->set_parameters(initial);
        made.parallel = parallel.get();
        made.backend = std::move(parallel);
    });
    return made;
}

// The fraction of `rows` (this process's rows of a set of `total`) the model classifies right,
// counted over every process.
double accuracy_everywhere(Backend& backend, const Dataset& rows, int total, Communicator& processes) {
    if (processes.size() == 1) return accuracy(predict_classes(backend.output(rows.X)), rows.labels);
    double right[1] = {0.0};
    if (rows.examples() > 0)
        right[0] = accuracy(predict_classes(backend.output(rows.X)), rows.labels) * rows.examples();
    processes.sum(right);
    return std::round(right[0]) / total;
}

// The files this run reads, for the output checks.
std::vector<NamedPath> inputs_of(const RunRequest& r) {
    const Door door = r.door;
    std::vector<NamedPath> inputs{{name_of(Setting::Data, door), r.data_path.empty() ? "" : r.data_path},
                                  {name_of(Setting::TestData, door), r.test_data_path}};
    if (r.init) inputs.push_back({name_of(Setting::Init, door), *r.init});
    return inputs;
}

}  // namespace

std::string history_csv(const std::vector<double>& history, double final_cost) {
    std::string csv = "iteration,cost\n";
    for (std::size_t i = 0; i <= history.size(); ++i) {
        char line[64];
        std::snprintf(line, sizeof line, "%zu,%.10g\n", i, i < history.size() ? history[i] : final_cost);
        csv += line;
    }
    return csv;
}

std::string divergence_message(const RunRequest& r, int examples, int iteration, double cost, double first_cost) {
    const Door door = r.door;
    const OptimizerSettings& o = r.optimizer;
    const std::string what = std::isnan(cost)   ? "NaN"
                             : std::isinf(cost) ? "infinite"
                                                : number(cost) + " (from " + number(first_cost) + ")";
    std::string hint;
    // Gradient descent shrinks each weight by alpha * lambda / m per step: past 2 the decay
    // itself overshoots and grows the weights, whatever the data.
    // Which of the two to lower: the one further above its usual value (lambda 1, alpha 0.8).
    if (o.optimizer == Optimizer::GradientDescent && r.lambda * o.alpha / std::max(examples, 1) >= 1.0 &&
        r.lambda / 1.0 > o.alpha / 0.8)
        hint = "try a smaller " + name_of(Setting::Lambda, door) + " (" + number(r.lambda) +
               " makes the weight decay itself diverge)";
    else if (o.optimizer == Optimizer::Adam)
        hint = "try a smaller " + name_of(Setting::LearningRate, door) + " (" + number(o.learning_rate) + ")";
    else if (o.optimizer == Optimizer::ConjugateGradient)
        hint = "try a smaller " + name_of(Setting::Lambda, door) + ", or check the data for extreme values";
    else
        hint = "try a smaller " + name_of(Setting::Alpha, door) + " (" + number(o.alpha) + ")";
    return "training diverged: the cost became " + what + " at iteration " + std::to_string(iteration) +
           "; HINT: " + hint + (r.save ? "; " + *r.save + " was not written" : "");
}

RunResult run_request(const RunRequest& r, Communicator& processes, const RunInputs& inputs, const RunHooks& hooks) {
    const Steps steps{hooks};
    const bool root = processes.is_root();
    std::vector<NamedPath> outputs;
    if (r.save) outputs.push_back({name_of(Setting::Save, r.door), *r.save});
    if (r.history) outputs.push_back({name_of(Setting::History, r.door), *r.history});
    steps.agreed([&] {
        validate_request(r);
        if (!r.data_path.empty()) check_readable_input(r.data_path, name_of(Setting::Data, r.door));
        if (!r.test_data_path.empty()) check_readable_input(r.test_data_path, name_of(Setting::TestData, r.door));
        if (r.init) check_readable_input(*r.init, name_of(Setting::Init, r.door));
        // Only rank 0 writes, so only it checks where it will write.
        if (root) check_outputs(outputs, inputs_of(r));
    });
    TrainingData data = load_training_data(r, inputs, processes, steps);
    if (processes.size() > 1 && hooks.on_data) hooks.on_data(*data.train, data.train_total, data.test, data.test_total);
    Parameters initial;
    steps.agreed([&] { initial = initial_parameters(r, inputs, *data.train, steps); });
    TrainingBackend made = make_training_backend(r, initial, data, processes, steps);
    Backend& backend = *made.backend;
    const Dataset& train = *data.train;

    RunResult result;
    result.layout = initial.layout;
    result.optimizer = r.optimizer.optimizer;
    result.data = data.name;
    result.examples = data.train_total;
    result.test_examples = data.test_total;
    result.steps = planned_steps(r.optimizer, data.train_total);
    result.batch = std::min(r.optimizer.batch, data.train_total);
    result.device_name = backend.device_name();
    result.device = backend.device();
    result.precision = backend.precision();
    result.processes = processes.size();
    // Model files record what the inputs looked like, so `predict --image` can convert a picture.
    result.model.info = model_info_for(train);
    if (root) steps.note(made.note);
    if (hooks.on_start) hooks.on_start(backend, initial, result.steps);

    TrainingPlan plan = training_plan(r);
    plan.on_progress = hooks.on_progress;
    plan.interrupt = hooks.interrupt;
    // With several processes, each one's Ctrl-C/SIGTERM travels with the sums, and all of them
    // stop at the same iteration.
    if (made.parallel && plan.interrupt) {
        made.parallel->watch_interrupt(plan.interrupt);
        plan.interrupt = &made.parallel->agreed_interrupt();
    }
    if (plan.checkpoint_every == 0) plan.checkpoint_every = hooks.checkpoint_every;
    // A checkpoint that cannot be written is reported and the run goes on: the previous checkpoint
    // stays (every write is all or nothing), and the end of the run still writes what it can.
    plan.on_checkpoint = [&](const Parameters& parameters, int done) {
        if (root && r.save && r.checkpoint_every > 0 && done % r.checkpoint_every == 0) {
            try {
                write_model_file(*r.save, ModelFile{parameters, result.model.info});
            } catch (const std::exception& e) {
                const std::string failure = "the checkpoint at iteration " + std::to_string(done) +
                                            " was not written (" + e.what() +
                                            "); the previous one stays, training goes on";
                result.output_failures.push_back(failure);
                steps.note(failure);
            }
        }
        if (hooks.on_checkpoint) hooks.on_checkpoint(backend, parameters, done);
    };

    steps.named("training");
    const auto start = std::chrono::steady_clock::now();
    TrainingOutcome outcome = run_training(backend, plan);
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result.interrupted = outcome.interrupted;
    if (outcome.diverged_at) {
        // Nothing is saved: the weights are no longer numbers, and an existing model stays as it
        // was. Every process saw the same cost, so all of them stop here with the same message.
        const auto at = static_cast<std::size_t>(*outcome.diverged_at - 1);
        const std::string message =
            divergence_message(r, data.train_total, *outcome.diverged_at, outcome.history[at], outcome.history.front());
        steps.agreed([&] { throw TrainingDiverged(message); });
        throw TrainingDiverged(message);
    }
    // An interrupted run keeps what it did: the model, the history so far and its summary.
    steps.named("evaluating the trained network");
    result.final_cost = backend.cost_and_gradient(r.lambda, nullptr);
    result.train_accuracy = accuracy_everywhere(backend, train, data.train_total, processes);
    if (data.test) result.test_accuracy = accuracy_everywhere(backend, *data.test, data.test_total, processes);
    result.model.parameters = backend.parameters();
    result.history = std::move(outcome.history);
    if (made.parallel) {
        result.sums_in_graph =
            r.optimizer.optimizer == Optimizer::GradientDescent && made.parallel->gradient_descent_loop() != nullptr;
        result.allreduces = made.parallel->allreduce_count();
        result.allreduce_seconds = made.parallel->allreduce_seconds();
    }

    // The outputs: each write that fails is reported, and the others still happen.
    if (root) {
        const auto write = [&](const std::string& what, const std::function<void()>& step) {
            try {
                step();
            } catch (const std::exception& e) {
                result.output_failures.push_back(what + " was not written: " + e.what());
            }
        };
        if (r.save) write(*r.save, [&] { write_model_file(*r.save, result.model); });
        if (r.history)
            write(*r.history, [&] { write_output_file(*r.history, history_csv(result.history, result.final_cost)); });
    }
    return result;
}

}  // namespace digitnet::run
