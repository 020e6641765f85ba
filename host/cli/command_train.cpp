// `digitnet train`, as one process or as one of several (mpirun): then each process holds its rows
// of the data, the backend is data-parallel, rank 0 alone writes and prints, and every failure
// that one process may meet alone goes through on_every_process (agreement.hpp).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>

#include "agreement.hpp"
#include "command_support.hpp"
#include "commands.hpp"
#include "digitnet/cuda/cuda_backend.hpp"
#include "digitnet/distributed/data_parallel_backend.hpp"
#include "digitnet/distributed/mpi_session.hpp"
#include "digitnet/distributed/nccl_communicator.hpp"
#include "digitnet/distributed/shard.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/io/data_loader.hpp"
#include "digitnet/io/mat_io.hpp"
#include "digitnet/io/safe_output.hpp"
#include "digitnet/model/model_info.hpp"
#include "digitnet/train/trainer.hpp"
#include "interrupt.hpp"
#include "report.hpp"
#include "safety.hpp"

namespace digitnet::cli {

namespace {

void check_options(const TrainOptions& o) {
    if (!(o.alpha > 0) || !std::isfinite(o.alpha))
        throw InputError("--alpha must be a positive number, got " + std::to_string(o.alpha));
    if (!(o.lambda >= 0) || !std::isfinite(o.lambda))
        throw InputError("--lambda must be zero or positive, got " + std::to_string(o.lambda));
    if (o.iterations < 1) throw InputError("--iters must be at least 1, got " + std::to_string(o.iterations));
    if (o.epochs < 1) throw InputError("--epochs must be at least 1, got " + std::to_string(o.epochs));
    if (o.batch < 1) throw InputError("--batch must be at least 1, got " + std::to_string(o.batch));
    if (!(o.learning_rate > 0) || !std::isfinite(o.learning_rate))
        throw InputError("--lr must be a positive number, got " + format_number(o.learning_rate));
    for (int h : o.hidden)
        if (h < 1) throw InputError("--hidden: every hidden layer needs at least 1 unit, got " + std::to_string(h));
    if (o.checkpoint_every < 0) throw InputError("--checkpoint-every must be zero (off) or positive");
    if (o.checkpoint_every > 0 && o.save.empty())
        throw InputError("--checkpoint-every needs --save, the file the checkpoints go to");
}

// This process's rows of the training (and test) set, and the sizes of the whole sets.
struct TrainingData {
    std::string path;
    Dataset train;
    std::optional<Dataset> test;
    RowRange train_rows;
    int train_total = 0;
    int test_total = 0;
};

TrainingData load_training_data(const TrainOptions& o, Communicator& processes) {
    TrainingData d;
    d.path = data_path_or_default(o.data);
    if (processes.size() == 1) {
        DataFile file = load_data(d.path);
        if (!o.test_data.empty()) file.test = load_test_data(o.test_data, file.train);
        d.train = std::move(file.train);
        d.test = std::move(file.test);
        d.train_rows = {0, d.train.examples()};
        d.train_total = d.train.examples();
        d.test_total = d.test ? d.test->examples() : 0;
        return d;
    }
    // Each process reads its own rows; then they agree on the classes of the whole sets (the
    // largest label anywhere), and check the test set against the training set.
    const RowChooser mine = [&processes](int total) { return shard_rows(total, processes.rank(), processes.size()); };
    DataFileShard file;
    on_every_process(processes, [&] {
        file = load_data_shard(d.path, mine);
        if (!o.test_data.empty()) file.test = load_test_set_shard(o.test_data, mine);
        // Every process needs rows to train on (the same total everywhere: the same answer).
        if (file.train.total < processes.size())
            throw InputError(d.path + ": " + std::to_string(file.train.total) + " examples for " +
                             std::to_string(processes.size()) +
                             " processes; each process needs at least one (start fewer processes)");
    });
    int classes = static_cast<int>(processes.max(file.train.data.classes));
    if (file.test) {
        const int test_classes = static_cast<int>(processes.max(file.test->data.classes));
        // A data file's own test set widens the classes (as load_data does); --test-data must fit.
        if (o.test_data.empty()) classes = std::max(classes, test_classes);
    }
    file.train.data.classes = classes;
    on_every_process(processes, [&] {
        if (file.test) check_test_fits(file.test->data, file.train.data);
    });
    d.train = std::move(file.train.data);
    d.train_rows = file.train.rows;
    d.train_total = file.train.total;
    if (file.test) {
        d.test = std::move(file.test->data);
        d.test_total = file.test->total;
    }
    return d;
}

Parameters initial_parameters(const TrainOptions& o, const Dataset& train) {
    if (o.init.empty()) {
        const Activation activation =
            o.activation.empty() ? Activation::Sigmoid : parse_activation(o.activation, "--activation");
        const Output output = o.output.empty() ? Output::Sigmoid : parse_output(o.output, "--output");
        const Layout layout = make_layout(train.features(), o.hidden, train.classes, activation, output);
        check_memory_for(layout, train.examples(), o.compute, nullptr);  // before the weights take their share
        set_step("making the network " + layout.describe());
        return random_parameters(layout, o.seed);
    }
    Parameters initial = load_weights(o.init);
    check_model_fits(initial, o.init, train);
    if (o.hidden_given) {
        const std::vector<int> hidden(initial.layout.sizes.begin() + 1, initial.layout.sizes.end() - 1);
        if (hidden != o.hidden)
            throw InputError(o.init + ": its hidden layers (" + initial.layout.describe() + ") differ from --hidden");
    }
    if (!o.activation.empty() && parse_activation(o.activation, "--activation") != initial.layout.hidden)
        throw InputError(o.init + ": its hidden layers use " + to_string(initial.layout.hidden) +
                         ", not --activation " + o.activation);
    if (!o.output.empty() && parse_output(o.output, "--output") != initial.layout.output)
        throw InputError(o.init + ": its output is " + std::string(to_string(initial.layout.output)) +
                         ", not --output " + o.output);
    return initial;
}

// The backend that trains: the chosen one, or with several processes a data-parallel one around
// it (gradients summed by NCCL between GPUs where the build has it, by MPI otherwise). With NCCL,
// the local GPU backend is made again with NCCL as its DeviceSum, so that gd sums inside its CUDA
// graph (cuda_backend.hpp, CudaOptions::device_sum); cg and adam sum through the host as before.
struct TrainingBackend {
    std::unique_ptr<NcclCommunicator> nccl;  // before the backend: it must outlive it
    std::unique_ptr<Backend> backend;
    DataParallelBackend* parallel = nullptr;
};

// Two steps with several processes, so that the choice of NCCL, a collective, falls between
// two agreed steps: make the local backend (agreed), choose (every process), then wrap it (agreed).
TrainingBackend make_training_backend(const TrainOptions& o, const Parameters& initial, const TrainingData& data,
                                      Communicator& processes) {
    TrainingBackend made;
    if (processes.size() == 1) {
        made.backend = backend_for(o.compute, o.compute.precision, initial.layout, data.train, o.quiet);
        made.backend->set_parameters(initial);
        return made;
    }
    std::unique_ptr<Backend> local;
    on_every_process(processes, [&] {
        std::string note;
        check_fits(initial.layout, data.train);
        local = make_backend(o.compute.device, o.compute.precision, initial.layout, &note);
        if (processes.is_root()) print_note(note, o.quiet);
    });
    // NCCL only when every process has a GPU: its setup waits for all of them.
    const bool all_on_gpus = processes.min(local->device() == Device::Gpu ? 1 : 0) == 1;
    on_every_process(processes, [&] {
        Communicator* sums = &processes;
        if (all_on_gpus && nccl_compiled_in()) {
            made.nccl = make_nccl_communicator(processes);
            sums = made.nccl.get();
            CudaOptions options;
            options.device_sum = made.nccl.get();
            local.reset();  // before the new one: one set of buffers on the GPU at a time
            local = make_cuda_backend(o.compute.precision, initial.layout, options);
        }
        auto parallel = std::make_unique<DataParallelBackend>(std::move(local), *sums);
        parallel->set_training_shard(data.train, data.train_rows, data.train_total);
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

// Row i: the cost after i updates (row 0 the starting weights, the last row the final cost).
std::string history_csv(const std::vector<double>& history, double final_cost) {
    std::string csv = "iteration,cost\n";
    for (std::size_t i = 0; i <= history.size(); ++i) {
        char line[64];
        std::snprintf(line, sizeof line, "%zu,%.10g\n", i, i < history.size() ? history[i] : final_cost);
        csv += line;
    }
    return csv;
}

}  // namespace

int run_train(const TrainOptions& o, Communicator& processes) {
    const bool root = processes.is_root();
    TrainingData data;
    Parameters initial;
    on_every_process(processes, [&] {
        check_options(o);
        // Only rank 0 writes, so only it checks where it will write.
        check_optimizer_options(o.optimizer, o.given);
        if (root) {
            check_output_path(o.save, "--save");
            check_output_path(o.history, "--history");
            check_outputs_are_not_inputs(
                {{"--save", o.save}, {"--history", o.history}},
                {{"--data", data_path_or_default(o.data)}, {"--test-data", o.test_data}, {"--init", o.init}});
        }
    });
    set_step("loading the data set " + data_path_or_default(o.data));
    data = load_training_data(o, processes);
    on_every_process(processes, [&] { initial = initial_parameters(o, data.train); });
    TrainingBackend made = make_training_backend(o, initial, data, processes);
    Backend& backend = *made.backend;
    const Dataset& train = data.train;

    TrainingPlan plan;
    plan.optimizer = o.optimizer == "cg"     ? Optimizer::ConjugateGradient
                     : o.optimizer == "adam" ? Optimizer::Adam
                                             : Optimizer::GradientDescent;
    plan.lambda = o.lambda;
    plan.gradient_descent = {o.iterations, o.alpha};
    plan.minibatch.epochs = o.epochs;
    plan.minibatch.batch = o.batch;
    plan.minibatch.learning_rate = o.learning_rate;
    plan.minibatch.seed = o.seed;
    const int batch = std::min(o.batch, data.train_total);
    const int steps =
        plan.optimizer == Optimizer::Adam ? o.epochs * ((data.train_total + batch - 1) / batch) : o.iterations;
    ProgressBar bar(steps, root && !o.quiet && !o.json);
    plan.on_progress = [&bar](int done, double cost) { bar.update(done, cost); };
    // With several processes, each one's Ctrl-C/SIGTERM travels with the sums, and all of them
    // stop at the same iteration.
    plan.interrupt = &install_interrupt_handler();
    if (made.parallel) {
        made.parallel->watch_interrupt(plan.interrupt);
        plan.interrupt = &made.parallel->agreed_interrupt();
    }
    plan.checkpoint_every = o.checkpoint_every;
    // Model files record what the inputs looked like, so `predict --image` can convert a picture.
    const ModelInfo info = model_info_for(train);
    plan.on_checkpoint = [&](const Parameters& parameters, int) {
        on_every_process(processes, [&] {
            if (root) save_weights(o.save, parameters, "", &info);
        });
    };

    set_step("training");
    const auto start = std::chrono::steady_clock::now();
    const TrainingOutcome outcome = run_training(backend, plan);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    bar.finish();
    const std::vector<double>& history = outcome.history;

    if (outcome.diverged_at) {
        // Nothing is saved: the weights are no longer numbers, and an existing model stays as it
        // was. Every process saw the same cost, so all of them stop here with the same message.
        on_every_process(processes, [&] {
            const auto at = static_cast<std::size_t>(*outcome.diverged_at - 1);
            throw TrainingDiverged(
                divergence_message(o, data.train_total, *outcome.diverged_at, history[at], history.front()));
        });
    }
    // An interrupted run keeps what it did: the model, the history so far and its summary.
    set_step("evaluating the trained network");
    const double final_cost = backend.cost_and_gradient(o.lambda, nullptr);
    const double train_accuracy = accuracy_everywhere(backend, train, data.train_total, processes);
    std::optional<double> test_accuracy;
    if (data.test) test_accuracy = accuracy_everywhere(backend, *data.test, data.test_total, processes);

    const Parameters trained = backend.parameters();
    on_every_process(processes, [&] {
        if (!root) return;
        if (!o.save.empty()) save_weights(o.save, trained, "", &info);
        if (!o.history.empty()) write_text_file(o.history, history_csv(history, final_cost));
    });
    if (!root) return outcome.interrupted ? kExitInterrupted : 0;
    if (outcome.interrupted)
        std::fprintf(stderr, "digitnet: interrupted after %zu of %d iterations%s\n", history.size(), steps,
                     o.save.empty() ? "; nothing saved (no --save)" : ("; model saved to " + o.save).c_str());

    if (o.json) {
        json out{{"final_cost", final_cost},
                 {"train_accuracy", train_accuracy},
                 {"iterations", history.size()},
                 {"optimizer", to_string(plan.optimizer)},
                 {"seconds", seconds},
                 {"device", to_string(backend.device())},
                 {"device_name", backend.device_name()},
                 {"precision", to_string(backend.precision())},
                 {"layout", initial.layout.describe()},
                 {"activation", to_string(initial.layout.hidden)},
                 {"output", to_string(initial.layout.output)},
                 {"examples", data.train_total},
                 {"data", data.path},
                 {"interrupted", outcome.interrupted}};
        if (!o.history.empty()) out["history"] = o.history;
        if (test_accuracy) out["test_accuracy"] = *test_accuracy;
        if (!o.test_data.empty()) out["test_data"] = o.test_data;
        if (!o.save.empty()) out["model"] = o.save;
        if (made.parallel) {
            out["processes"] = processes.size();
            out["allreduce_seconds"] = made.parallel->allreduce_seconds();
            out["allreduces"] = made.parallel->allreduce_count();
        }
        print_json(out);
    } else {
        std::printf("%s %s on %s (%d examples), %s, %s\n",
                    outcome.interrupted ? "interrupted: partly trained" : "trained", initial.layout.describe().c_str(),
                    data.path.c_str(), data.train_total, backend.device_name().c_str(), to_string(backend.precision()));
        if (plan.optimizer == Optimizer::Adam)
            std::printf("  optimizer       adam: %s (%s of batches of %d, lr %g, lambda %g)\n",
                        count_of(long(history.size()), "step", "steps").c_str(),
                        count_of(o.epochs, "epoch", "epochs").c_str(), batch, o.learning_rate, o.lambda);
        else if (plan.optimizer == Optimizer::ConjugateGradient)
            std::printf("  optimizer       cg: %s (lambda %g)\n",
                        count_of(long(history.size()), "line search", "line searches").c_str(), o.lambda);
        else
            std::printf("  iterations      %zu (alpha %g, lambda %g)\n", history.size(), o.alpha, o.lambda);
        std::printf("  final cost      %.6f\n", final_cost);
        std::printf("  train accuracy  %s\n", percent(train_accuracy).c_str());
        if (test_accuracy)
            std::printf("  test accuracy   %s (%d held-out examples)\n", percent(*test_accuracy).c_str(),
                        data.test_total);
        std::printf("  time            %.3f s (%.3f ms per iteration)\n", seconds,
                    history.empty() ? 0.0 : seconds * 1e3 / double(history.size()));
        // gd's sums inside the CUDA graph are not timed one by one: only the host's are counted here.
        const bool sums_in_graph = made.parallel && plan.optimizer == Optimizer::GradientDescent &&
                                   made.parallel->gradient_descent_loop() != nullptr;
        if (sums_in_graph) std::printf("  allreduce       NCCL inside the CUDA graph, one an iteration\n");
        if (made.parallel && made.parallel->allreduce_count() > 0)
            std::printf("  allreduce       %.3f ms per call (%ld %scalls, %d processes)\n",
                        made.parallel->allreduce_seconds() * 1e3 / double(made.parallel->allreduce_count()),
                        made.parallel->allreduce_count(), sums_in_graph ? "host-side " : "", processes.size());
        if (!o.save.empty()) std::printf("  model saved to  %s\n", o.save.c_str());
    }
    std::fflush(stdout);
    return outcome.interrupted ? kExitInterrupted : 0;
}

}  // namespace digitnet::cli
