#include "digitnet/train/gradient_check_run.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "digitnet/model/gradient_check.hpp"
#include "digitnet/train/trainer.hpp"

namespace digitnet {

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

GradientCheckReport run_gradient_checks(const Dataset& train, const std::string& data_name, int examples,
                                        std::uint64_t seed, double lambda, Device device, std::string* note) {
    struct Check {
        std::string name;
        Dataset data;
        Parameters at;
    };
    std::vector<Check> checks;
    CheckProblem small = small_check_problem({5});
    checks.push_back({"small network 3-5-3, 5 examples", small.data, small.parameters});

    // A random subset of the real data, on the seed's network shape.
    const int count = std::min(examples, train.examples());
    Dataset subset = random_subset(train, count, seed);
    const Layout layout = make_layout(subset.features(), {25}, subset.classes);
    checks.push_back({std::to_string(count) + (count == 1 ? " random example of " : " random examples of ") +
                          data_name + ", network " + layout.describe(),
                      std::move(subset), random_parameters(layout, seed)});

    GradientCheckReport report;
    for (const Check& check : checks) {
        auto backend = make_backend(device, Precision::Double, check.at.layout, check.data, note);
        report.device_name = backend->device_name();
        auto cost = [&](const Parameters& p) {
            backend->set_parameters(p);
            return backend->cost_and_gradient(lambda, nullptr);
        };
        const Parameters numerical = numerical_gradient(cost, check.at, 1e-4);
        Parameters analytic;
        backend->set_parameters(check.at);
        backend->cost_and_gradient(lambda, &analytic);
        const double difference = relative_difference(numerical, analytic);
        report.worst = std::max(report.worst, std::isnan(difference) ? INFINITY : difference);
        report.cases.push_back({check.name, check.at.values.size(), difference});
    }
    report.passed = report.worst < 1e-9;
    return report;
}

}  // namespace digitnet
