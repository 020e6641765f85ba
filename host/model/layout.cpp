#include "digitnet/model/layout.hpp"

#include <cmath>
#include <random>
#include <sstream>

#include "digitnet/errors.hpp"

namespace digitnet {

std::size_t Layout::theta_offset(int l) const {
    std::size_t offset = 0;
    for (int k = 1; k < l; ++k) offset += theta_size(k);
    return offset;
}

std::size_t Layout::parameter_count() const { return theta_offset(layers() + 1); }

std::string Layout::describe() const {
    std::ostringstream out;
    for (std::size_t i = 0; i < sizes.size(); ++i) out << (i ? "-" : "") << sizes[i];
    if (hidden != Activation::Sigmoid || output != Output::Sigmoid)
        out << ' ' << to_string(hidden) << ' ' << to_string(output);
    return out.str();
}

Layout make_layout(int inputs, const std::vector<int>& hidden, int classes, Activation activation, Output output) {
    Layout layout;
    layout.hidden = activation;
    layout.output = output;
    layout.sizes.push_back(inputs);
    layout.sizes.insert(layout.sizes.end(), hidden.begin(), hidden.end());
    layout.sizes.push_back(classes);
    for (std::size_t i = 0; i < layout.sizes.size(); ++i) {
        if (layout.sizes[i] < 1) {
            const char* what = i == 0                         ? "input size"
                               : i + 1 == layout.sizes.size() ? "number of classes"
                                                              : "hidden layer size";
            throw InputError(std::string("layout ") + layout.describe() + ": " + what + " must be at least 1");
        }
    }
    return layout;
}

Parameters::Parameters(Layout layout_) : layout(std::move(layout_)), values(layout.parameter_count(), 0.0) {}

std::span<double> Parameters::theta(int l) {
    return std::span<double>(values).subspan(layout.theta_offset(l), layout.theta_size(l));
}

std::span<const double> Parameters::theta(int l) const {
    return std::span<const double>(values).subspan(layout.theta_offset(l), layout.theta_size(l));
}

Parameters random_parameters(const Layout& layout, std::uint64_t seed) {
    Parameters p(layout);
    std::mt19937_64 generator(seed);
    for (int l = 1; l <= layout.layers(); ++l) {
        // He uniform for the layers that feed a ReLU (their output is never squashed, so the
        // variance is kept through the layer); the seed's Glorot-style range for the others.
        const bool feeds_relu = l < layout.layers() && layout.hidden == Activation::Relu;
        const double epsilon = feeds_relu ? std::sqrt(6.0 / double(layout.sizes[l - 1]))
                                          : std::sqrt(6.0) / std::sqrt(double(layout.sizes[l - 1] + layout.sizes[l]));
        for (double& w : p.theta(l)) {
            // 53 random bits -> [0, 1): the same doubles on every platform, which
            // std::uniform_real_distribution does not promise.
            const double u = double(generator() >> 11) * 0x1.0p-53;
            w = (2.0 * u - 1.0) * epsilon;
        }
    }
    return p;
}

}  // namespace digitnet
