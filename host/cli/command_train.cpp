// `digitnet train`: the flags become a run request (main.cpp), the run layer runs it (as one
// process or as one of several under mpirun, run/run.hpp), and this file presents the result:
// text or one JSON object, on rank 0 only.
#include <cstdio>

#include "agreement.hpp"
#include "command_support.hpp"
#include "commands.hpp"
#include "digitnet/run/run.hpp"
#include "interrupt.hpp"
#include "report.hpp"
#include "safety.hpp"

namespace digitnet::cli {

int run_train(const TrainOptions& o, Communicator& processes) {
    const bool root = processes.is_root();
    const run::RunRequest& request = o.request;
    std::optional<ProgressBar> shown;
    run::RunHooks hooks;
    hooks.agreed = [&processes](const std::function<void()>& step) { on_every_process(processes, step); };
    hooks.interrupt = &install_interrupt_handler();
    hooks.on_step = [](const std::string& step) { set_step(step); };
    hooks.on_note = [&](const std::string& note) {
        if (root) print_note(note, o.quiet);
    };
    hooks.on_start = [&](Backend&, const Parameters&, int steps) { shown.emplace(steps, root && !o.quiet && !o.json); };
    hooks.on_progress = [&](int done, double cost) {
        if (shown) shown->update(done, cost);
    };
    hooks.on_data = [&processes](const Dataset& train, int train_total, const Dataset* test, int test_total) {
        agree_on(processes, training_data_fingerprint(train, train_total, test, test_total));
    };
    if (processes.size() > 1) {  // before any collective that depends on the request
        Fingerprint fingerprint;
        on_every_process(processes, [&] { fingerprint = train_request_fingerprint(request); });
        agree_on(processes, fingerprint);
    }
    const run::RunResult r = run::run_request(request, processes, {}, hooks);
    if (shown) shown->finish();
    const bool failed = !r.output_failures.empty();
    const int exit_code = failed ? 1 : r.interrupted ? kExitInterrupted : 0;
    if (!root) return exit_code;
    const bool saved = request.save && !failed;
    if (r.interrupted)
        std::fprintf(stderr, "digitnet: interrupted after %zu of %d iterations%s\n", r.history.size(), r.steps,
                     !request.save ? "; nothing saved (no --save)"
                     : saved       ? ("; model saved to " + *request.save).c_str()
                                   : "");

    const Layout& layout = r.layout;
    if (o.json) {
        json out{{"final_cost", r.final_cost},
                 {"train_accuracy", r.train_accuracy},
                 {"iterations", r.history.size()},
                 {"optimizer", to_string(r.optimizer)},
                 {"seconds", r.seconds},
                 {"device", to_string(r.device)},
                 {"device_name", r.device_name},
                 {"precision", to_string(r.precision)},
                 {"layout", layout.describe()},
                 {"activation", to_string(layout.hidden)},
                 {"output", to_string(layout.output)},
                 {"examples", r.examples},
                 {"data", r.data},
                 {"interrupted", r.interrupted}};
        if (request.history) out["history"] = *request.history;
        if (r.test_accuracy) out["test_accuracy"] = *r.test_accuracy;
        if (!request.test_data_path.empty()) out["test_data"] = request.test_data_path;
        if (request.save) out["model"] = *request.save;
        if (failed) out["output_failures"] = r.output_failures;
        if (r.processes > 1) {
            out["processes"] = r.processes;
            out["allreduce_seconds"] = r.allreduce_seconds;
            out["allreduces"] = r.allreduces;
        }
        print_json(out);
    } else {
        const run::OptimizerSettings& s = request.optimizer;
        std::printf("%s %s on %s (%d examples), %s, %s\n", r.interrupted ? "interrupted: partly trained" : "trained",
                    layout.describe().c_str(), r.data.c_str(), r.examples, r.device_name.c_str(),
                    to_string(r.precision));
        if (r.optimizer == Optimizer::Adam)
            std::printf("  optimizer       adam: %s (%s of batches of %d, lr %g, lambda %g)\n",
                        count_of(long(r.history.size()), "step", "steps").c_str(),
                        count_of(s.epochs, "epoch", "epochs").c_str(), r.batch, s.learning_rate, request.lambda);
        else if (r.optimizer == Optimizer::ConjugateGradient)
            std::printf("  optimizer       cg: %s (lambda %g)\n",
                        count_of(long(r.history.size()), "line search", "line searches").c_str(), request.lambda);
        else
            std::printf("  iterations      %zu (alpha %g, lambda %g)\n", r.history.size(), s.alpha, request.lambda);
        std::printf("  final cost      %.6f\n", r.final_cost);
        std::printf("  train accuracy  %s\n", percent(r.train_accuracy).c_str());
        if (r.test_accuracy)
            std::printf("  test accuracy   %s (%d held-out examples)\n", percent(*r.test_accuracy).c_str(),
                        r.test_examples);
        std::printf("  time            %.3f s (%.3f ms per iteration)\n", r.seconds,
                    r.history.empty() ? 0.0 : r.seconds * 1e3 / double(r.history.size()));
        // gd's sums inside the CUDA graph are not timed one by one: only the host's are counted here.
        if (r.sums_in_graph) std::printf("  allreduce       NCCL inside the CUDA graph, one an iteration\n");
        if (r.allreduces > 0)
            std::printf("  allreduce       %.3f ms per call (%ld %scalls, %d processes)\n",
                        r.allreduce_seconds * 1e3 / double(r.allreduces), r.allreduces,
                        r.sums_in_graph ? "host-side " : "", r.processes);
        if (saved) std::printf("  model saved to  %s\n", request.save->c_str());
    }
    std::fflush(stdout);
    // What failed to be written, after the summary: the run itself finished.
    for (const std::string& failure : r.output_failures) std::fprintf(stderr, "digitnet: error: %s\n", failure.c_str());
    return exit_code;
}

}  // namespace digitnet::cli
