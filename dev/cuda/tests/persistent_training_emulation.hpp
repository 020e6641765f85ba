#pragma once
// A plain-C++ emulation of the persistent training kernel (kernels/persistent_training.cu and the
// tile it shares with the fused kernel, kernels/one_hidden_layer_tile.cuh): the same phases as loops
// over the "blocks", the same index functions (kernels/one_hidden_layer_indexing.hpp) and the same
// order in every sum, in the precision T. The GPU's threads become loops; what each thread computes,
// and in which order, stays: the warps' partial sums of z1 and their sum in warp order, the shuffle
// tree over a tile's row costs, the rows in order in both gradient products, each block's shares
// tile after tile, and the groups of the slice sum. (Not mirrored: cub's tree in block_sum, whose
// order only moves double sums of the cost and the squares; and nvcc's contraction of a * b + c into
// fused multiply-adds.) Compared against the double reference, it proves the decomposition without a
// GPU (tests/model/test_one_hidden_layer_indexing.cpp).
#include <cstddef>
#include <vector>

#include "digitnet/model/activation.hpp"
#include "digitnet/model/dataset.hpp"
#include "digitnet/model/layout.hpp"
#include "persistent_indexing.hpp"

namespace digitnet::testing {

template <class T>
struct EmulatedTraining {
    std::vector<double> history;  // J at the start of each iteration
    std::vector<T> theta;         // after the iterations (unchanged without steps)
    std::vector<T> grad;          // of the last iteration
};

namespace emulation {

// One tile (tile::one_hidden_layer_tile): rows [row0, row0 + rows) of a0 (m, n) and Y (m, K).
template <class T>
void tile(const std::vector<T>& a0, const std::vector<T>& Y, const std::vector<T>& theta, int row0, int rows, int n,
          int H, int K, T* partials, bool first_tile, double& block_cost) {
    using kernels::kTileRows;
    using kernels::kTileWarps;
    const int H1 = H + 1;
    const std::size_t P1 = std::size_t(H) * n;
    const T* theta2 = theta.data() + P1;
    auto x = [&](int r, int k) { return r < rows ? a0[std::size_t(row0 + r) * n + k] : T(0); };
    std::vector<T> a1(std::size_t(kTileRows) * H1), d2(std::size_t(kTileRows) * K, T(0)),
        d1(std::size_t(kTileRows) * H, T(0));
    std::vector<double> cost(std::size_t(kTileRows) * K, 0.0);
    for (int r = 0; r < kTileRows; ++r) {
        a1[std::size_t(r) * H1] = T(1);
        for (int j = 0; j < H; ++j) {
            T z = T(0);
            for (int w = 0; w < kTileWarps; ++w) {  // warp w's share, then the warps in order
                T acc = T(0);
                for (int k = w; k < n; k += kTileWarps) acc += x(r, k) * theta[std::size_t(j) * n + k];
                z += acc;
            }
            a1[std::size_t(r) * H1 + j + 1] = activate<Activation::Sigmoid>(z);
        }
    }
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < K; ++c) {
            T z = T(0);
            for (int j1 = 0; j1 < H1; ++j1) z += theta2[std::size_t(c) * H1 + j1] * a1[std::size_t(r) * H1 + j1];
            const T y = Y[std::size_t(row0 + r) * K + c];
            d2[std::size_t(r) * K + c] = activate<Activation::Sigmoid>(z) - y;
            cost[std::size_t(r) * K + c] = static_cast<double>(sigmoid_cost_term(z, y));
        }
    }
    // Lane r adds its row's terms; then __shfl_down_sync with offsets 16, 8, 4, 2, 1 (a lane whose
    // source is past the warp keeps its own value).
    double lanes[kTileRows];
    for (int r = 0; r < kTileRows; ++r) {
        lanes[r] = 0.0;
        for (int c = 0; c < K; ++c) lanes[r] += cost[std::size_t(r) * K + c];
    }
    for (int offset = 16; offset > 0; offset /= 2) {
        double next[kTileRows];
        for (int l = 0; l < kTileRows; ++l)
            next[l] = lanes[l] + (l + offset < kTileRows ? lanes[l + offset] : lanes[l]);
        for (int l = 0; l < kTileRows; ++l) lanes[l] = next[l];
    }
    block_cost += lanes[0];
    for (int r = 0; r < rows; ++r) {
        for (int j = 0; j < H; ++j) {
            T sum = T(0);
            for (int c = 0; c < K; ++c) sum += d2[std::size_t(r) * K + c] * theta2[std::size_t(c) * H1 + j + 1];
            d1[std::size_t(r) * H + j] =
                sum * activation_derivative<Activation::Sigmoid>(a1[std::size_t(r) * H1 + j + 1]);
        }
    }
    for (int c = 0; c < K; ++c) {
        for (int j1 = 0; j1 < H1; ++j1) {
            T sum = T(0);
            for (int r = 0; r < rows; ++r) sum += d2[std::size_t(r) * K + c] * a1[std::size_t(r) * H1 + j1];
            T& out = partials[P1 + std::size_t(c) * H1 + j1];
            out = first_tile ? sum : out + sum;
        }
    }
    for (int k = 0; k < n; ++k) {
        for (int j = 0; j < H; ++j) {
            T g = T(0);
            for (int r = 0; r < rows; ++r) g += x(r, k) * d1[std::size_t(r) * H + j];
            T& out = partials[std::size_t(j) * n + k];
            out = first_tile ? g : out + g;
        }
    }
}

}  // namespace emulation

// `iterations` iterations of the persistent kernel over `data` (a0 = [1, X], Y one-hot) from
// `initial`, on a device that holds `resident_blocks` blocks at once, stepping with alpha when
// `step`. layout: one hidden layer (the kernel's shapes).
template <class T>
EmulatedTraining<T> emulate_persistent_training(const Dataset& data, const Parameters& initial, int resident_blocks,
                                                int iterations, double lambda, double alpha, bool step) {
    const Layout& layout = initial.layout;
    const int m = data.examples();
    const int n = layout.inputs() + 1;
    const int H = layout.sizes[1];
    const int K = layout.classes();
    std::vector<T> a0(std::size_t(m) * n), Y(std::size_t(m) * K, T(0));
    for (int r = 0; r < m; ++r) {
        a0[std::size_t(r) * n] = T(1);
        for (int k = 1; k < n; ++k) a0[std::size_t(r) * n + k] = static_cast<T>(data.X(r, k - 1));
        Y[std::size_t(r) * K + data.labels[std::size_t(r)]] = T(1);
    }
    EmulatedTraining<T> out;
    out.theta.assign(initial.values.begin(), initial.values.end());
    const long long P = kernels::parameter_count(n, H, K);
    out.grad.assign(std::size_t(P), T(0));

    const int rows = kernels::tile_rows(m, resident_blocks);
    const int blocks = kernels::grid_blocks(m, resident_blocks);
    const int tiles = kernels::tile_count(m, rows);
    const T inverse_m = static_cast<T>(1.0 / m);
    const T lambda_over_m = static_cast<T>(lambda / m);
    const T alpha_t = static_cast<T>(alpha);
    std::vector<T> partials(std::size_t(blocks) * std::size_t(P));
    std::vector<double> cost_partials(static_cast<std::size_t>(blocks)),
        square_partials(static_cast<std::size_t>(blocks));
    for (int it = 0; it < iterations; ++it) {
        // Phase A, block by block.
        for (int b = 0; b < blocks; ++b) {
            double block_cost = 0.0;
            for (int i = 0; kernels::tile_of_block(b, blocks, i) < tiles; ++i) {
                const kernels::ExampleRange range =
                    kernels::tile_examples(kernels::tile_of_block(b, blocks, i), rows, m);
                emulation::tile(a0, Y, out.theta, range.begin, range.end - range.begin, n, H, K,
                                partials.data() + std::size_t(b) * std::size_t(P), i == 0, block_cost);
            }
            const kernels::ParameterSlice slice = kernels::parameter_slice(b, blocks, P);
            double square = 0.0;
            for (long long p = slice.begin; p < slice.end; ++p) {
                const T regularized = kernels::is_bias_parameter(p, n, H) ? T(0) : out.theta[std::size_t(p)];
                square += static_cast<double>(regularized) * static_cast<double>(regularized);
            }
            cost_partials[std::size_t(b)] = block_cost;
            square_partials[std::size_t(b)] = square;
        }
        // Phase B, block by block (each reads the shares of all, writes only its slice).
        for (int b = 0; b < blocks; ++b) {
            const kernels::ParameterSlice slice = kernels::parameter_slice(b, blocks, P);
            const kernels::SliceSumShape shape =
                kernels::slice_sum_shape(slice.end - slice.begin, kernels::kTileThreads);
            for (long long base = slice.begin; base < slice.end; base += shape.width) {
                for (int lane = 0; lane < shape.width && base + lane < slice.end; ++lane) {
                    const long long p = base + lane;
                    T total = T(0);
                    for (int g = 0; g < shape.groups; ++g) {
                        T sum = T(0);
                        for (int other = g; other < blocks; other += shape.groups)
                            sum += partials[std::size_t(other) * std::size_t(P) + std::size_t(p)];
                        total += sum;
                    }
                    const T theta = out.theta[std::size_t(p)];
                    const T regularization = lambda_over_m * (kernels::is_bias_parameter(p, n, H) ? T(0) : theta);
                    const T gradient = regularization + inverse_m * total;
                    out.grad[std::size_t(p)] = gradient;
                    if (step) out.theta[std::size_t(p)] = theta - alpha_t * gradient;
                }
            }
        }
        double cost = 0.0, squares = 0.0;
        for (int b = 0; b < blocks; ++b) {
            cost += cost_partials[std::size_t(b)];
            squares += square_partials[std::size_t(b)];
        }
        out.history.push_back((1.0 / m) * cost + (lambda / (2.0 * m)) * squares);
    }
    return out;
}

}  // namespace digitnet::testing
