// The optimizers that run on the host and call the backend for J and its gradient: nonlinear
// conjugate gradient (full batch; its point lives here, in double, and the backend evaluates it
// in its own precision), and the mini-batch optimizers (adam, sgd) for backends without their own
// loop (their weights and state kept here in the backend's precision, the steps of update_rules.hpp).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>
#include <random>
#include <span>

#include "digitnet/errors.hpp"
#include "digitnet/train/minibatch_loop.hpp"
#include "digitnet/train/shuffle.hpp"
#include "digitnet/train/trainer.hpp"
#include "digitnet/train/update_rules.hpp"

namespace digitnet {

namespace {

double dot(const std::vector<double>& a, const std::vector<double>& b) {
    return std::inner_product(a.begin(), a.end(), b.begin(), 0.0);
}

// Adam's steps are bounded by its learning rate, so its cost can grow without ever overflowing: a
// cost a million times the start's has diverged as surely as an infinite one.
double divergence_limit(double first_cost) { return 1e6 * std::max(1.0, first_cost); }

// What every host-driven loop does after a step: record J, report progress, take checkpoints,
// and decide whether to go on (no interrupt, J still finite). outcome.history holds the whole
// run's history (a resumed run's starts with the checkpoint's), so its size is the steps done.
class StepBook {
public:
    StepBook(const TrainingPlan& plan, TrainingOutcome& outcome) : plan_(plan), outcome_(outcome) {}

    // Returns false when the loop must stop. make_checkpoint() is called only when one is due.
    template <class MakeCheckpoint>
    bool record(double cost, MakeCheckpoint make_checkpoint) {
        outcome_.history.push_back(cost);
        const int done = static_cast<int>(outcome_.history.size());
        if (plan_.on_progress) plan_.on_progress(done, cost);
        if (!std::isfinite(cost) || cost > divergence_limit(outcome_.history.front())) {
            outcome_.diverged_at = done;
            return false;
        }
        if (plan_.checkpoint_every > 0 && done % plan_.checkpoint_every == 0 &&
            (plan_.on_checkpoint || plan_.on_checkpoint_state)) {
            const Checkpoint checkpoint = make_checkpoint();
            if (plan_.on_checkpoint) plan_.on_checkpoint(checkpoint.parameters, done);
            if (plan_.on_checkpoint_state) plan_.on_checkpoint_state(checkpoint);
        }
        return !interrupted();
    }

    bool interrupted() {
        if (plan_.interrupt && plan_.interrupt->load()) outcome_.interrupted = true;
        return outcome_.interrupted;
    }

private:
    const TrainingPlan& plan_;
    TrainingOutcome& outcome_;
};

// f and its gradient at x, through the backend.
struct Evaluation {
    double f = 0;
    Parameters x, g;
    double alpha = 0;  // the step along the search direction that reached x
};

Evaluation evaluate(Backend& backend, const Parameters& x, double lambda) {
    Evaluation e;
    e.x = x;
    backend.set_parameters(x);
    e.f = backend.cost_and_gradient(lambda, &e.g);
    return e;
}

Parameters step_along(const Parameters& x, const std::vector<double>& direction, double alpha) {
    Parameters moved = x;
    for (std::size_t i = 0; i < moved.values.size(); ++i) moved.values[i] += alpha * direction[i];
    return moved;
}

// A line search along d from `start` for an alpha meeting the strong Wolfe conditions
//   phi(alpha) <= phi(0) + c1 alpha phi'(0)    and    |phi'(alpha)| <= c2 |phi'(0)|,
// with phi(alpha) = J(x + alpha d): Nocedal & Wright's algorithm 3.5 (bracketing) and 3.6 (zoom),
// the trial point inside a bracket by cubic interpolation, kept away from the ends.
class WolfeLineSearch {
public:
    static constexpr double c1 = 1e-4, c2 = 0.1;
    static constexpr int max_evaluations = 25;

    WolfeLineSearch(Backend& backend, double lambda, const Evaluation& start, const std::vector<double>& d)
        : backend_(backend), lambda_(lambda), start_(start), d_(d), slope0_(dot(start.g.values, d)) {}

    // The accepted point, or the best point seen when none met the conditions (nullopt when
    // nothing lowered J).
    std::optional<Evaluation> search(double alpha) {
        Point previous{0.0, start_.f, slope0_};
        for (int i = 0; i < max_evaluations && evaluations_ < max_evaluations; ++i) {
            const Point current = probe(alpha);
            if (!std::isfinite(current.phi)) return best_or_nothing();
            if (current.phi > start_.f + c1 * alpha * slope0_ || (i > 0 && current.phi >= previous.phi))
                return zoom(previous, current);
            if (std::abs(current.slope) <= -c2 * slope0_) return accepted_;
            if (current.slope >= 0) return zoom(current, previous);
            previous = current;
            alpha *= 2.0;
        }
        return best_or_nothing();
    }

private:
    struct Point {
        double alpha, phi, slope;
    };

    Point probe(double alpha) {
        ++evaluations_;
        Evaluation e = evaluate(backend_, step_along(start_.x, d_, alpha), lambda_);
        e.alpha = alpha;
        const Point p{alpha, e.f, dot(e.g.values, d_)};
        if (std::isfinite(e.f) && (!best_ || e.f < best_->f)) best_ = e;
        accepted_ = std::move(e);
        return p;
    }

    // lo has the lower phi of the bracket [lo, hi] (in either order).
    std::optional<Evaluation> zoom(Point lo, Point hi) {
        while (evaluations_ < max_evaluations) {
            const double alpha = interpolate(lo, hi);
            const Point trial = probe(alpha);
            if (!std::isfinite(trial.phi) || trial.phi > start_.f + c1 * alpha * slope0_ || trial.phi >= lo.phi) {
                hi = trial;
            } else {
                if (std::abs(trial.slope) <= -c2 * slope0_) return accepted_;
                if (trial.slope * (hi.alpha - lo.alpha) >= 0) hi = lo;
                lo = trial;
            }
            if (std::abs(hi.alpha - lo.alpha) < 1e-12 * std::max(1.0, std::abs(lo.alpha))) break;
        }
        return best_or_nothing();
    }

    // The minimiser of the cubic through both ends' values and slopes, kept in the middle 80% of
    // the bracket; the midpoint when the cubic has no usable minimum.
    static double interpolate(const Point& a, const Point& b) {
        const double low = std::min(a.alpha, b.alpha), high = std::max(a.alpha, b.alpha), width = high - low;
        const double d1 = a.slope + b.slope - 3.0 * (a.phi - b.phi) / (a.alpha - b.alpha);
        const double radicand = d1 * d1 - a.slope * b.slope;
        double alpha = 0.5 * (low + high);
        if (radicand >= 0 && std::isfinite(radicand)) {
            const double d2 = std::copysign(std::sqrt(radicand), b.alpha - a.alpha);
            const double candidate =
                b.alpha - (b.alpha - a.alpha) * (b.slope + d2 - d1) / (b.slope - a.slope + 2.0 * d2);
            if (std::isfinite(candidate)) alpha = candidate;
        }
        return std::clamp(alpha, low + 0.1 * width, high - 0.1 * width);
    }

    std::optional<Evaluation> best_or_nothing() {
        if (best_ && best_->f < start_.f) return best_;
        return std::nullopt;
    }

    Backend& backend_;
    double lambda_;
    const Evaluation& start_;
    const std::vector<double>& d_;
    double slope0_;
    int evaluations_ = 0;
    std::optional<Evaluation> best_;
    std::optional<Evaluation> accepted_;
};

}  // namespace

TrainingOutcome run_conjugate_gradient(Backend& backend, const TrainingPlan& plan, const Checkpoint& from) {
    TrainingOutcome outcome;
    outcome.history = from.history;
    StepBook book(plan, outcome);
    const double lambda = plan.lambda;
    // The evaluation at the start point gives the same bits as the one the checkpointed run made
    // there: the backend's sums are in a fixed order.
    Evaluation current = evaluate(backend, from.parameters, lambda);
    std::vector<double> direction(current.g.values.size());
    double alpha = 0.0;
    int failures = from.state.cg_failures;
    const auto checkpoint_now = [&] {
        Checkpoint c;
        c.parameters = current.x;
        c.state.optimizer = Optimizer::ConjugateGradient;
        c.state.iterations = static_cast<std::int64_t>(outcome.history.size());
        c.state.first = direction;
        c.state.cg_step = alpha;
        c.state.cg_failures = failures;
        c.history = outcome.history;
        return c;
    };
    if (!std::isfinite(current.f)) {
        book.record(current.f, checkpoint_now);
        return outcome;
    }
    if (from.state.first.size() == direction.size()) {
        direction = from.state.first;
        alpha = from.state.cg_step;
    } else {
        std::transform(current.g.values.begin(), current.g.values.end(), direction.begin(),
                       [](double g) { return -g; });
        // The first step as in the course's fmincg: 1 / (1 + |slope|), then the previous step
        // scaled by the ratio of slopes (Nocedal & Wright, eq. 3.60), at most 10 times larger.
        alpha = 1.0 / (1.0 - dot(current.g.values, direction));
    }

    for (auto iteration = static_cast<int>(from.state.iterations); iteration < plan.gradient_descent.iterations;
         ++iteration) {
        if (book.interrupted()) break;
        const double slope = dot(current.g.values, direction);
        std::optional<Evaluation> next = WolfeLineSearch(backend, lambda, current, direction).search(alpha);
        if (!next) {
            // No progress along d: once more along the steepest descent, then stop (converged).
            if (++failures == 2) break;
            std::transform(current.g.values.begin(), current.g.values.end(), direction.begin(),
                           [](double g) { return -g; });
            alpha = 1.0 / (1.0 - dot(current.g.values, direction));
            --iteration;
            continue;
        }
        failures = 0;
        // Polak-Ribiere+: beta = max(0, g1.(g1 - g0) / g0.g0); restart on a non-descent direction.
        const double g0g0 = dot(current.g.values, current.g.values);
        double g1g0 = dot(next->g.values, current.g.values), g1g1 = dot(next->g.values, next->g.values);
        const double beta = g0g0 > 0 ? std::max(0.0, (g1g1 - g1g0) / g0g0) : 0.0;
        for (std::size_t i = 0; i < direction.size(); ++i) direction[i] = -next->g.values[i] + beta * direction[i];
        double new_slope = dot(next->g.values, direction);
        if (new_slope >= 0) {
            std::transform(next->g.values.begin(), next->g.values.end(), direction.begin(),
                           [](double g) { return -g; });
            new_slope = -g1g1;
        }
        alpha = next->alpha * std::min(10.0, slope / std::min(new_slope, -1e-300));
        // The history holds J before each update, as gradient descent's does (it starts with J at
        // the starting weights).
        const double before = current.f;
        current = std::move(*next);
        if (!book.record(before, checkpoint_now)) break;
    }
    backend.set_parameters(current.x);
    outcome.checkpoint = checkpoint_now();
    return outcome;
}

namespace {

// The host-driven mini-batch loop in the backend's precision T (float for float, tf32 and bf16,
// whose master weights are FP32; double for double): the same steps, to the bit, as a backend's
// own loop that applies update_rules.hpp to the same gradient.
template <class T>
TrainingOutcome host_minibatch(Backend& backend, const TrainingPlan& plan, const Checkpoint& from) {
    TrainingOutcome outcome;
    outcome.history = from.history;
    StepBook book(plan, outcome);
    const MiniBatchOptions& mb = plan.minibatch;
    const int m = backend.examples();
    const std::int64_t per_epoch = steps_per_epoch(m, mb.batch);
    const std::int64_t total = planned_iterations(plan, m);
    const bool adam = plan.optimizer == Optimizer::Adam;

    const std::size_t n = from.parameters.values.size();
    std::vector<T> theta(n), first(n, T(0)), second(adam ? n : 0, T(0));
    std::transform(from.parameters.values.begin(), from.parameters.values.end(), theta.begin(),
                   [](double v) { return static_cast<T>(v); });
    if (from.state.first.size() == n)
        std::transform(from.state.first.begin(), from.state.first.end(), first.begin(),
                       [](double v) { return static_cast<T>(v); });
    if (adam && from.state.second.size() == n)
        std::transform(from.state.second.begin(), from.state.second.end(), second.begin(),
                       [](double v) { return static_cast<T>(v); });
    Parameters current(backend.layout());
    const auto publish = [&] {
        std::transform(theta.begin(), theta.end(), current.values.begin(), [](T v) { return static_cast<double>(v); });
    };
    std::int64_t step = from.state.iterations;
    const auto checkpoint_now = [&] {
        Checkpoint c;
        c.parameters = current;
        c.state = from.state;
        c.state.optimizer = plan.optimizer;
        c.state.iterations = step;
        c.state.first.assign(first.begin(), first.end());
        c.state.second.assign(second.begin(), second.end());
        c.state.seed = mb.seed;
        c.state.batch = mb.batch;
        c.state.examples = m;
        c.history = outcome.history;
        return c;
    };

    std::vector<int> order;
    std::int64_t order_epoch = -1;
    Parameters gradient;
    publish();
    while (step < total && !book.interrupted()) {
        const BatchWindow window = batch_window(step, m, mb.batch);
        if (window.epoch != order_epoch) {
            epoch_permutation(mb.seed, window.epoch, m, order);
            order_epoch = window.epoch;
        }
        const int start = window.start, size = window.size;
        const std::span<const int> rows(order.data() + start, static_cast<std::size_t>(size));
        backend.set_parameters(current);
        // The batch's J with lambda scaled by size/m: (1/b) sum of its cost terms plus
        // lambda/(2m) |Theta|^2, an unbiased estimate of the full-batch J (and its gradient),
        // whatever the batch size.
        const double batch_lambda = plan.lambda * size / m;
        const double cost = backend.cost_and_gradient_on(rows, batch_lambda, &gradient);
        const double lr = mb.learning_rate * learning_rate_factor(mb.schedule, step, per_epoch, total);
        if (adam) {
            const AdamCoefficients<T> c = adam_coefficients<T>(plan.adam, lr, mb.weight_decay, step + 1);
            for (std::size_t i = 0; i < n; ++i)
                adam_update(theta[i], first[i], second[i], static_cast<T>(gradient.values[i]), c);
        } else {
            const SgdCoefficients<T> c = sgd_coefficients<T>(plan.sgd, lr, mb.weight_decay);
            for (std::size_t i = 0; i < n; ++i) sgd_update(theta[i], first[i], static_cast<T>(gradient.values[i]), c);
        }
        ++step;
        publish();
        if (!book.record(cost, checkpoint_now)) break;
    }
    backend.set_parameters(current);
    outcome.checkpoint = checkpoint_now();
    return outcome;
}

// The backend's own loop, in chunks that end on the checkpoints.
TrainingOutcome backend_minibatch(Backend& backend, MiniBatchLoop& loop, const TrainingPlan& plan,
                                  const Checkpoint& from) {
    TrainingOutcome outcome;
    outcome.history = from.history;
    const int m = backend.examples();
    const std::int64_t total = planned_iterations(plan, m);
    MiniBatchRun run;
    run.optimizer = plan.optimizer;
    run.minibatch = plan.minibatch;
    run.adam = plan.adam;
    run.sgd = plan.sgd;
    run.lambda = plan.lambda;
    backend.set_parameters(from.parameters);
    loop.begin(run, from.state);

    std::int64_t done = from.state.iterations;
    TrainingObserver observer;
    observer.stop_requested = plan.interrupt;
    observer.on_progress = [&](int steps_done, double cost) {
        if (plan.on_progress) plan.on_progress(steps_done, cost);
    };
    const auto checkpoint_now = [&] {
        Checkpoint c;
        c.parameters = backend.parameters();
        c.state = loop.state();
        c.history = outcome.history;
        return c;
    };
    const std::int64_t chunk = plan.checkpoint_every > 0 ? plan.checkpoint_every : total;
    while (done < total) {
        if (plan.interrupt && plan.interrupt->load()) {
            outcome.interrupted = true;
            break;
        }
        const std::int64_t until = std::min(total, done + chunk - done % chunk);
        // Until the run has a first cost, the loop takes its own first step's.
        const double limit = outcome.history.empty() ? 0.0 : divergence_limit(outcome.history.front());
        const std::vector<double> costs = loop.run(until, limit, observer);
        outcome.history.insert(outcome.history.end(), costs.begin(), costs.end());
        done += static_cast<std::int64_t>(costs.size());
        const double first = outcome.history.empty() ? 0.0 : outcome.history.front();
        const auto bad = std::find_if(outcome.history.begin(), outcome.history.end(),
                                      [&](double c) { return !std::isfinite(c) || c > divergence_limit(first); });
        if (bad != outcome.history.end()) {
            outcome.diverged_at = static_cast<int>(bad - outcome.history.begin()) + 1;
            outcome.checkpoint = checkpoint_now();
            return outcome;
        }
        if (done < until) {  // stopped by the interrupt
            outcome.interrupted = true;
            break;
        }
        if (plan.checkpoint_every > 0 && done < total && done % plan.checkpoint_every == 0 &&
            (plan.on_checkpoint || plan.on_checkpoint_state)) {
            const Checkpoint checkpoint = checkpoint_now();
            if (plan.on_checkpoint) plan.on_checkpoint(checkpoint.parameters, static_cast<int>(done));
            if (plan.on_checkpoint_state) plan.on_checkpoint_state(checkpoint);
        }
    }
    outcome.checkpoint = checkpoint_now();
    return outcome;
}

}  // namespace

TrainingOutcome run_minibatch_on_host(Backend& backend, const TrainingPlan& plan, const Checkpoint& from) {
    if (backend.examples() == 0) throw_no_training_set();
    if (backend.precision() == Precision::Double) return host_minibatch<double>(backend, plan, from);
    return host_minibatch<float>(backend, plan, from);
}

TrainingOutcome run_minibatch(Backend& backend, const TrainingPlan& plan, const Checkpoint& from) {
    if (backend.examples() == 0) throw_no_training_set();
    if (MiniBatchLoop* loop = backend.minibatch_loop()) return backend_minibatch(backend, *loop, plan, from);
    return run_minibatch_on_host(backend, plan, from);
}

}  // namespace digitnet
