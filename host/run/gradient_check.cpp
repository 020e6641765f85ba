#include "digitnet/run/gradient_check.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "digitnet/model/gradient_check.hpp"
#include "digitnet/train/trainer.hpp"

namespace digitnet::run {

namespace {

// `count` examples of `train` in an order shuffled from `seed`.
Dataset random_subset(const Dataset& train, int count, std::uint64_t seed) {
    Dataset subset = train;
    std::mt19937_64 generator(seed);
    std::vector<int> order(static_cast<std::size_t>(train.examples()));
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
    std::shuffle(order.begin(), order.end(), generator);
    subset.X = Matrix<double>(count, train.features());
    subset.labels.clear();
    for (int i = 0; i < count; ++i) {
        const int source = order[static_cast<std::size_t>(i)];
        std::copy(train.X.row(source), train.X.row(source) + train.features(), subset.X.row(i));
        subset.labels.push_back(train.labels[static_cast<std::size_t>(source)]);
    }
    return subset;
}

}  // namespace

GradientCheckReport run_gradient_checks(const Dataset& train, const std::string& data_name,
                                        const GradientCheckRequest& request, std::string* note) {
    struct Check {
        std::string name;
        Dataset data;
        Parameters at;
    };
    const Activation activation = request.network.activation.value_or(Activation::Sigmoid);
    const Output output = request.network.output.value_or(Output::Sigmoid);
    std::vector<Check> checks;
    // The course's small problem, with as many hidden layers as the user's network and its
    // activation and output.
    CheckProblem small =
        small_check_problem(std::vector<int>(std::max<std::size_t>(1, request.network.hidden.size()), 5));
    small.parameters.layout.hidden = activation;
    small.parameters.layout.output = output;
    checks.push_back(
        {"small network " + small.parameters.layout.describe() + ", 5 examples", small.data, small.parameters});

    // A random subset of the real data, on the user's network.
    const int count = std::min(request.examples, train.examples());
    Dataset subset = random_subset(train, count, request.seed);
    const Layout layout = make_layout(subset.features(), request.network.hidden, subset.classes, activation, output);
    checks.push_back({std::to_string(count) + (count == 1 ? " random example of " : " random examples of ") +
                          data_name + ", network " + layout.describe(),
                      std::move(subset), random_parameters(layout, request.seed)});

    GradientCheckReport report;
    for (const Check& check : checks) {
        auto backend = make_backend(request.device, Precision::Double, check.at.layout, check.data, note);
        report.device_name = backend->device_name();
        auto cost = [&](const Parameters& p) {
            if (request.should_stop && request.should_stop()) throw GradientCheckStopped();
            backend->set_parameters(p);
            return backend->cost_and_gradient(request.lambda, nullptr);
        };
        const Parameters numerical = numerical_gradient(cost, check.at, 1e-4);
        Parameters analytic;
        backend->set_parameters(check.at);
        backend->cost_and_gradient(request.lambda, &analytic);
        const double difference = relative_difference(numerical, analytic);
        report.worst = std::max(report.worst, std::isnan(difference) ? INFINITY : difference);
        report.cases.push_back({check.name, check.at.values.size(), difference});
    }
    report.passed = report.worst < 1e-9;
    return report;
}

}  // namespace digitnet::run
