// The CPU reference (DESIGN.md, "The mathematics"), one example at a time, in double.
// Nothing here is clever on purpose: it is what every fast path is checked against.
#include "digitnet/model/cpu_reference.hpp"

#include <algorithm>
#include <cmath>

namespace digitnet::reference {

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

// The formulas themselves live in activation.hpp, shared with the fast paths: what the reference
// checks there is the layer arithmetic around them. activation_test checks the formulas.
double activate(Activation f, double z) {
    return with_activation(f, [z](auto F) { return digitnet::activate<decltype(F)::value>(z); });
}

double activation_derivative(Activation f, double a) {
    return with_activation(f, [a](auto F) { return digitnet::activation_derivative<decltype(F)::value>(a); });
}

std::vector<double> softmax(const std::vector<double>& z) {
    const double z_max = *std::max_element(z.begin(), z.end());
    double sum = 0.0;
    for (double zk : z) sum += std::exp(zk - z_max);
    std::vector<double> h;
    for (double zk : z) h.push_back(std::exp(zk - z_max) / sum);
    return h;
}

double softmax_cost(const std::vector<double>& z, int label) {
    const double z_max = *std::max_element(z.begin(), z.end());
    double sum = 0.0;
    for (double zk : z) sum += std::exp(zk - z_max);
    return z_max + std::log(sum) - z[static_cast<std::size_t>(label)];
}

double output_cost_term(double z, double y) { return std::max(z, 0.0) - y * z + std::log1p(std::exp(-std::abs(z))); }

// x is (s0); a[l] is (s_l + 1) with a[l][0] = 1 for l < L; a[L] and z[l] are (s_l).
Activations forward(const Parameters& theta, const double* x) {
    const Layout& layout = theta.layout;
    const int L = layout.layers();
    Activations act;
    act.a.resize(static_cast<std::size_t>(L) + 1);
    act.z.resize(static_cast<std::size_t>(L) + 1);
    act.a[0].push_back(1.0);
    act.a[0].insert(act.a[0].end(), x, x + layout.inputs());
    for (int l = 1; l <= L; ++l) {
        const auto& previous = act.a[static_cast<std::size_t>(l - 1)];
        auto& z = act.z[static_cast<std::size_t>(l)];
        auto& a = act.a[static_cast<std::size_t>(l)];
        z.assign(static_cast<std::size_t>(layout.theta_rows(l)), 0.0);
        for (int j = 0; j < layout.theta_rows(l); ++j) {
            double sum = 0.0;
            for (int k = 0; k < layout.theta_cols(l); ++k)
                sum += theta.at(l, j, k) * previous[static_cast<std::size_t>(k)];
            z[static_cast<std::size_t>(j)] = sum;
        }
        if (l < L) {
            a.push_back(1.0);
            for (double zj : z) a.push_back(activate(layout.hidden, zj));
        } else if (layout.output == Output::Softmax) {
            a = softmax(z);
        } else {
            for (double zj : z) a.push_back(sigmoid(zj));
        }
    }
    return act;
}

// X is (m, s0), labels (m); gradient has the layout of theta.
double cost_and_gradient(const Parameters& theta, const Dataset& data, double lambda, Parameters* gradient) {
    const Layout& layout = theta.layout;
    const int L = layout.layers();
    const int K = layout.classes();
    const double m = data.examples();
    if (gradient) *gradient = Parameters(layout);

    double cost = 0.0;
    for (int i = 0; i < data.examples(); ++i) {
        const Activations act = forward(theta, data.X.row(i));
        const auto& z_out = act.z[static_cast<std::size_t>(L)];
        const auto& h = act.a[static_cast<std::size_t>(L)];
        std::vector<double> y(static_cast<std::size_t>(K), 0.0);
        y[static_cast<std::size_t>(data.labels[static_cast<std::size_t>(i)])] = 1.0;
        if (layout.output == Output::Softmax)
            cost += softmax_cost(z_out, data.labels[static_cast<std::size_t>(i)]);
        else
            for (int k = 0; k < K; ++k)
                cost += output_cost_term(z_out[static_cast<std::size_t>(k)], y[static_cast<std::size_t>(k)]);
        if (!gradient) continue;

        // d_L = h - y (for both outputs); d_l = (Theta_(l+1)[:,1:]^T d_(l+1)) .* f'(a_l);
        // grad_l += d_l a_(l-1)^T.
        std::vector<double> delta(static_cast<std::size_t>(K));
        for (int k = 0; k < K; ++k)
            delta[static_cast<std::size_t>(k)] = h[static_cast<std::size_t>(k)] - y[static_cast<std::size_t>(k)];
        for (int l = L; l >= 1; --l) {
            const auto& previous = act.a[static_cast<std::size_t>(l - 1)];
            for (int j = 0; j < layout.theta_rows(l); ++j)
                for (int k = 0; k < layout.theta_cols(l); ++k)
                    gradient->at(l, j, k) += delta[static_cast<std::size_t>(j)] * previous[static_cast<std::size_t>(k)];
            if (l == 1) break;
            std::vector<double> below(static_cast<std::size_t>(layout.sizes[l - 1]), 0.0);
            for (int k = 1; k < layout.theta_cols(l); ++k) {
                double sum = 0.0;
                for (int j = 0; j < layout.theta_rows(l); ++j)
                    sum += theta.at(l, j, k) * delta[static_cast<std::size_t>(j)];
                const double a = previous[static_cast<std::size_t>(k)];
                below[static_cast<std::size_t>(k - 1)] = sum * activation_derivative(layout.hidden, a);
            }
            delta = std::move(below);
        }
    }

    double squares = 0.0;
    for (int l = 1; l <= L; ++l)
        for (int j = 0; j < layout.theta_rows(l); ++j)
            for (int k = 1; k < layout.theta_cols(l); ++k) squares += theta.at(l, j, k) * theta.at(l, j, k);
    cost = cost / m + lambda / (2.0 * m) * squares;

    if (gradient) {
        for (int l = 1; l <= L; ++l)
            for (int j = 0; j < layout.theta_rows(l); ++j)
                for (int k = 0; k < layout.theta_cols(l); ++k) {
                    double& g = gradient->at(l, j, k);
                    g /= m;
                    if (k > 0) g += lambda / m * theta.at(l, j, k);
                }
    }
    return cost;
}

Matrix<double> output(const Parameters& theta, const Matrix<double>& X) {
    const int L = theta.layout.layers();
    Matrix<double> h(X.rows, theta.layout.classes());
    for (int i = 0; i < X.rows; ++i) {
        const Activations act = forward(theta, X.row(i));
        for (int k = 0; k < h.cols; ++k) h(i, k) = act.a[static_cast<std::size_t>(L)][static_cast<std::size_t>(k)];
    }
    return h;
}

}  // namespace digitnet::reference
