#pragma once
// The network's shape, its activations, and its parameters (DESIGN.md, "The mathematics").
//
// Layer sizes s0 (inputs), s1..s(L-1) (hidden), sL = K (classes). Theta_l, l = 1..L, has shape
// s_l x (s_(l-1) + 1); column 0 multiplies the bias unit. All Thetas are packed one after
// another, each row-major, into one flat vector: Theta_1 first. That flat vector is what the
// backends, the optimizers and the gradient check work on.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "digitnet/model/activation.hpp"

namespace digitnet {

struct Layout {
    std::vector<int> sizes;                   // s0, s1, ..., sL; at least two entries, all positive
    Activation hidden = Activation::Sigmoid;  // every hidden layer's activation
    Output output = Output::Sigmoid;          // the output layer and its loss

    int layers() const { return static_cast<int>(sizes.size()) - 1; }  // L
    int inputs() const { return sizes.front(); }                       // s0
    int classes() const { return sizes.back(); }                       // sL = K
    int theta_rows(int l) const { return sizes[l]; }                   // s_l, l in 1..L
    int theta_cols(int l) const { return sizes[l - 1] + 1; }           // s_(l-1) + 1
    std::size_t theta_size(int l) const { return static_cast<std::size_t>(theta_rows(l)) * theta_cols(l); }
    std::size_t theta_offset(int l) const;  // where Theta_l starts in the flat vector
    std::size_t parameter_count() const;    // total over all Thetas
    // "400-25-10" for the seed's sigmoid network, "784-128-10 relu softmax" otherwise.
    std::string describe() const;
    bool operator==(const Layout&) const = default;
};

// s0 = inputs, then the hidden sizes, then K = classes. Throws InputError on a size < 1.
Layout make_layout(int inputs, const std::vector<int>& hidden, int classes, Activation activation = Activation::Sigmoid,
                   Output output = Output::Sigmoid);

// Parameters of a network: all Thetas, flat, in double (the precision files and tests use).
struct Parameters {
    Layout layout;
    std::vector<double> values;  // layout.parameter_count() entries

    Parameters() = default;
    explicit Parameters(Layout layout_);  // all zeros

    std::span<double> theta(int l);  // Theta_l, row-major s_l x (s_(l-1)+1)
    std::span<const double> theta(int l) const;
    double& at(int l, int row, int col) { return theta(l)[static_cast<std::size_t>(row) * layout.theta_cols(l) + col]; }
    double at(int l, int row, int col) const {
        return theta(l)[static_cast<std::size_t>(row) * layout.theta_cols(l) + col];
    }
};

// The seed's random initialisation: each Theta_l uniform in [-e, e], e = sqrt(6)/sqrt(L_in + L_out)
// with L_in = s_(l-1), L_out = s_l (sigmoid and tanh layers), or He uniform e = sqrt(6 / L_in) for
// the layers that feed a ReLU; drawn from a 64-bit Mersenne Twister seeded with `seed`, so the same
// seed gives the same parameters on every platform.
Parameters random_parameters(const Layout& layout, std::uint64_t seed);

}  // namespace digitnet
