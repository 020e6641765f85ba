#pragma once
// The CPU backend's slices of the examples (cpu_backend.cpp, "Threads"): one per thread, each with
// every buffer a forward and backward pass needs, and the few helpers the passes share.
#include <cblas.h>
#include <omp.h>
#include <xmmintrin.h>

#include <algorithm>
#include <type_traits>
#include <vector>

#include "digitnet/model/layout.hpp"
#include "gemm_inputs.hpp"

namespace digitnet::cpu {

// C = alpha op(A) op(B) + beta C, all row-major; sgemm or dgemm by T.
template <class T>
void gemm(CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, int M, int N, int K, T alpha, const T* A, int lda,
          const T* B, int ldb, T beta, T* C, int ldc) {
    if constexpr (std::is_same_v<T, float>)
        cblas_sgemm(CblasRowMajor, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    else
        cblas_dgemm(CblasRowMajor, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

// One thread's share of the examples, with every buffer its passes need.
template <class T>
struct Slice {
    int m = 0;                                // examples in this slice
    int inputs = 0;                           // input rows of A_0^T below the bias row (see CpuBackend)
    std::vector<std::vector<T>> activations;  // [l]: A_l^T, (s_l + 1) x m, row 0 ones; l = 0..L-1
    // A mini-batch's slice (the batch constructor below) holds its inputs example-major instead:
    // activations[0] is A_0, capacity x (inputs + 1), column 0 ones, so that gathering an example
    // is one copy of a row. Its other buffers are made for `capacity` examples and used for m.
    bool example_major = false;
    // Mixed precisions only: [l] is A_l^T rounded for the GEMMs, l = 1..L-1 ([0] stays empty: A_0^T
    // itself is stored rounded).
    std::vector<std::vector<T>> gemm_activations;
    std::vector<T> z_out;  // z_L^T, K x m
    // Training only:
    std::vector<T> one_hot;              // Y^T, K x m
    std::vector<std::vector<T>> deltas;  // [l]: d_l^T, s_l x m; l = 1..L
    std::vector<T> gradient;             // sum over the slice of d_l^T A_(l-1), flat as Parameters
    double cost_sum = 0.0;               // sum over the slice of the output cost terms

    // input(i, k) is input row k of the slice's example i (k < inputs); label(i) its class, when
    // training. mode says how the GEMM inputs are rounded (always Exact in double).
    template <class Input, class Label>
    Slice(const Layout& layout, int m_, int inputs_, Input input, Label label, bool training,
          [[maybe_unused]] GemmInputs mode)
        : m(m_), inputs(inputs_), activations(static_cast<std::size_t>(layout.layers())) {
        for (int l = 0; l < layout.layers(); ++l) {
            auto& a = activations[static_cast<std::size_t>(l)];
            a.assign(static_cast<std::size_t>((l == 0 ? inputs : layout.sizes[l]) + 1) * m, T(0));
            std::fill_n(a.begin(), m, T(1));
        }
        T* a0 = activations[0].data();
        for (int i = 0; i < m; ++i)
            for (int k = 0; k < inputs; ++k) a0[static_cast<std::size_t>(k + 1) * m + i] = input(i, k);
        if constexpr (std::is_same_v<T, float>) {
            if (mode != GemmInputs::Exact) {
                copy_rounded(mode, a0, a0, activations[0].size());
                gemm_activations.resize(activations.size());
                for (std::size_t l = 1; l < activations.size(); ++l) gemm_activations[l] = activations[l];
            }
        }
        const std::size_t outputs = static_cast<std::size_t>(layout.classes()) * m;
        z_out.assign(outputs, T(0));
        if (!training) return;
        one_hot.assign(outputs, T(0));
        for (int i = 0; i < m; ++i) one_hot[static_cast<std::size_t>(label(i)) * m + i] = T(1);
        deltas.resize(static_cast<std::size_t>(layout.layers()) + 1);
        for (int l = 1; l <= layout.layers(); ++l)
            deltas[static_cast<std::size_t>(l)].assign(static_cast<std::size_t>(layout.sizes[l]) * m, T(0));
        gradient.assign(layout.parameter_count(), T(0));
    }

    // A mini-batch's slice for up to `capacity` examples (m is set per batch), training only.
    struct BatchOf {
        int capacity;
    };
    Slice(const Layout& layout, BatchOf batch, int inputs_, [[maybe_unused]] GemmInputs mode)
        : m(batch.capacity),
          inputs(inputs_),
          activations(static_cast<std::size_t>(layout.layers())),
          example_major(true) {
        const auto capacity = static_cast<std::size_t>(batch.capacity);
        for (int l = 0; l < layout.layers(); ++l) {
            auto& a = activations[static_cast<std::size_t>(l)];
            const auto units = static_cast<std::size_t>(l == 0 ? inputs : layout.sizes[l]) + 1;
            a.assign(units * capacity, T(0));
            if (l == 0) {
                for (std::size_t i = 0; i < capacity; ++i) a[i * units] = T(1);
            } else {
                std::fill_n(a.begin(), capacity, T(1));  // row 0: ones (refilled per batch: a smaller m moves the rows)
            }
        }
        if constexpr (std::is_same_v<T, float>) {
            if (mode != GemmInputs::Exact) {
                gemm_activations.resize(activations.size());
                for (std::size_t l = 1; l < activations.size(); ++l) gemm_activations[l] = activations[l];
            }
        }
        const std::size_t outputs = static_cast<std::size_t>(layout.classes()) * capacity;
        z_out.assign(outputs, T(0));
        one_hot.assign(outputs, T(0));
        deltas.resize(static_cast<std::size_t>(layout.layers()) + 1);
        for (int l = 1; l <= layout.layers(); ++l)
            deltas[static_cast<std::size_t>(l)].assign(static_cast<std::size_t>(layout.sizes[l]) * capacity, T(0));
        gradient.assign(layout.parameter_count(), T(0));
    }

    // Input row k of example i, and example i's class, as stored here.
    T input(int i, int k) const { return activations[0][static_cast<std::size_t>(k + 1) * m + i]; }
    int label(int i, int classes) const {
        for (int k = 0; k < classes; ++k)
            if (one_hot[static_cast<std::size_t>(k) * m + i] != T(0)) return k;
        return 0;
    }
};

// Denormal numbers (below ~1e-38 in float) make x86 arithmetic some 10x slower, and saturated
// sigmoids produce them by the million once weights grow large. Values that small make no
// difference at our tolerances, so each pass flushes them to zero on its own thread (MXCSR's
// flush-to-zero and denormals-are-zero bits) and restores the thread's mode afterwards.
class FlushDenormals {
public:
    FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040u); }
    ~FlushDenormals() { _mm_setcsr(saved_); }
    FlushDenormals(const FlushDenormals&) = delete;
    FlushDenormals& operator=(const FlushDenormals&) = delete;

private:
    unsigned saved_;
};

inline int thread_count() { return std::max(1, omp_get_max_threads()); }

// Cuts m examples into at most `threads` slices of nearly equal size. input(i, k) and label(i)
// give input row k (of `inputs`) and the class of example i (0..m-1).
template <class T, class Input, class Label>
std::vector<Slice<T>> make_slices(const Layout& layout, int m, int inputs, Input input, Label label, bool training,
                                  GemmInputs mode) {
    const int count = std::max(1, std::min(thread_count(), m));
    std::vector<Slice<T>> slices;
    slices.reserve(static_cast<std::size_t>(count));
    for (int s = 0; s < count; ++s) {
        const int begin = static_cast<int>(static_cast<long long>(m) * s / count);
        const int end = static_cast<int>(static_cast<long long>(m) * (s + 1) / count);
        slices.emplace_back(
            layout, end - begin, inputs, [&](int i, int k) { return input(begin + i, k); },
            [&](int i) { return label(begin + i); }, training, mode);
    }
    return slices;
}

}  // namespace digitnet::cpu
