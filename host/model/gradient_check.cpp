#include "digitnet/model/gradient_check.hpp"

#include <cmath>

namespace digitnet {

Parameters numerical_gradient(const CostFunction& cost, const Parameters& at, double epsilon) {
    Parameters gradient(at.layout);
    Parameters probe = at;
    for (std::size_t i = 0; i < probe.values.size(); ++i) {
        const double original = probe.values[i];
        probe.values[i] = original + epsilon;
        const double up = cost(probe);
        probe.values[i] = original - epsilon;
        const double down = cost(probe);
        probe.values[i] = original;
        gradient.values[i] = (up - down) / (2.0 * epsilon);
    }
    return gradient;
}

double relative_difference(const Parameters& a, const Parameters& b) {
    double difference = 0.0, sum = 0.0;
    for (std::size_t i = 0; i < a.values.size(); ++i) {
        difference += (a.values[i] - b.values[i]) * (a.values[i] - b.values[i]);
        sum += (a.values[i] + b.values[i]) * (a.values[i] + b.values[i]);
    }
    return sum == 0.0 ? std::sqrt(difference) : std::sqrt(difference) / std::sqrt(sum);
}

namespace {
// The course's debugInitializeWeights: a rows x cols matrix filled column-major with sin(1), sin(2), ... / 10.
void fill_with_sines(double* row_major, int rows, int cols) {
    for (int c = 0; c < cols; ++c)
        for (int r = 0; r < rows; ++r) row_major[r * cols + c] = std::sin(double(c * rows + r + 1)) / 10.0;
}
}  // namespace

CheckProblem small_check_problem(const std::vector<int>& hidden) {
    const int inputs = 3, classes = 3, examples = 5;
    CheckProblem problem;
    problem.parameters = Parameters(make_layout(inputs, hidden, classes));
    const Layout& layout = problem.parameters.layout;
    for (int l = 1; l <= layout.layers(); ++l)
        fill_with_sines(problem.parameters.theta(l).data(), layout.theta_rows(l), layout.theta_cols(l));
    Dataset& data = problem.data;
    data.X = Matrix<double>(examples, inputs);
    fill_with_sines(data.X.data.data(), examples, inputs);
    data.classes = classes;
    data.label_base = 1;
    data.source = "the gradient-check problem";
    for (int i = 1; i <= examples; ++i) data.labels.push_back(i % classes);  // label 1 + (i mod K), as a class index
    return problem;
}

}  // namespace digitnet
