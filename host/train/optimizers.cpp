// The optimizers that run on the host and call the backend for J and its gradient: nonlinear
// conjugate gradient (full batch) and Adam (mini-batches). The parameters live here, in double;
// the backend evaluates them in its own precision wherever it computes.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>
#include <random>
#include <span>

#include "digitnet/errors.hpp"
#include "digitnet/train/trainer.hpp"

namespace digitnet {

namespace {

double dot(const std::vector<double>& a, const std::vector<double>& b) {
    return std::inner_product(a.begin(), a.end(), b.begin(), 0.0);
}

// What every host-driven loop does after a step: record J, report progress, take checkpoints,
// and decide whether to go on (no interrupt, J still finite).
class StepBook {
public:
    StepBook(const TrainingPlan& plan, TrainingOutcome& outcome) : plan_(plan), outcome_(outcome) {}

    // Returns false when the loop must stop.
    bool record(double cost, const Parameters& current) {
        outcome_.history.push_back(cost);
        const int done = static_cast<int>(outcome_.history.size());
        if (plan_.on_progress) plan_.on_progress(done, cost);
        // Adam's steps are bounded by its learning rate, so its cost can grow without ever
        // overflowing: a cost a million times the start's has diverged as surely as an infinite one.
        if (!std::isfinite(cost) || cost > 1e6 * std::max(1.0, outcome_.history.front())) {
            outcome_.diverged_at = done;
            return false;
        }
        if (plan_.checkpoint_every > 0 && plan_.on_checkpoint && done % plan_.checkpoint_every == 0)
            plan_.on_checkpoint(current, done);
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

TrainingOutcome run_conjugate_gradient(Backend& backend, const TrainingPlan& plan) {
    TrainingOutcome outcome;
    StepBook book(plan, outcome);
    const double lambda = plan.lambda;
    Evaluation current = evaluate(backend, backend.parameters(), lambda);
    if (!std::isfinite(current.f)) {
        book.record(current.f, current.x);
        return outcome;
    }
    std::vector<double> direction(current.g.values.size());
    std::transform(current.g.values.begin(), current.g.values.end(), direction.begin(), [](double g) { return -g; });
    // The first step as in the course's fmincg: 1 / (1 + |slope|), then the previous step scaled
    // by the ratio of slopes (Nocedal & Wright, eq. 3.60), at most 10 times larger.
    double alpha = 1.0 / (1.0 - dot(current.g.values, direction));
    int failures = 0;

    for (int iteration = 0; iteration < plan.gradient_descent.iterations; ++iteration) {
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
        if (!book.record(before, current.x)) break;
    }
    backend.set_parameters(current.x);
    return outcome;
}

TrainingOutcome run_adam(Backend& backend, const TrainingPlan& plan) {
    TrainingOutcome outcome;
    StepBook book(plan, outcome);
    const AdamOptions& adam = plan.adam;
    if (adam.batch < 1) throw InputError("--batch must be at least 1");
    if (adam.epochs < 1) throw InputError("--epochs must be at least 1");
    if (!(adam.learning_rate > 0)) throw InputError("--lr must be positive");
    const int m = backend.examples();
    const int batch = std::min(adam.batch, m);

    Parameters theta = backend.parameters();
    const std::size_t n = theta.values.size();
    std::vector<double> first(n, 0.0), second(n, 0.0);
    std::vector<int> order(static_cast<std::size_t>(m));
    std::iota(order.begin(), order.end(), 0);
    std::mt19937_64 generator(adam.seed);
    double beta1_power = 1.0, beta2_power = 1.0;
    Parameters gradient;

    for (int epoch = 0; epoch < adam.epochs && !outcome.interrupted && !outcome.diverged_at; ++epoch) {
        std::shuffle(order.begin(), order.end(), generator);
        for (int start = 0; start < m; start += batch) {
            const int size = std::min(batch, m - start);
            const std::span<const int> rows(order.data() + start, static_cast<std::size_t>(size));
            backend.set_parameters(theta);
            // The batch's J with lambda scaled by size/m: (1/b) sum of its cost terms plus
            // lambda/(2m) |Theta|^2, an unbiased estimate of the full-batch J (and its gradient),
            // whatever the batch size.
            const double batch_lambda = plan.lambda * size / m;
            const double cost = backend.cost_and_gradient_on(rows, batch_lambda, &gradient);
            // m_t = b1 m + (1-b1) g; v_t = b2 v + (1-b2) g^2; theta -= lr m_hat / (sqrt(v_hat) + eps)
            beta1_power *= adam.beta1;
            beta2_power *= adam.beta2;
            const double step = adam.learning_rate * std::sqrt(1.0 - beta2_power) / (1.0 - beta1_power);
            for (std::size_t i = 0; i < n; ++i) {
                const double g = gradient.values[i];
                first[i] = adam.beta1 * first[i] + (1.0 - adam.beta1) * g;
                second[i] = adam.beta2 * second[i] + (1.0 - adam.beta2) * g * g;
                theta.values[i] -= step * first[i] / (std::sqrt(second[i]) + adam.epsilon);
            }
            if (!book.record(cost, theta)) break;
        }
    }
    backend.set_parameters(theta);
    return outcome;
}

}  // namespace digitnet
