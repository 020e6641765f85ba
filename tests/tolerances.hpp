#pragma once
// The one table of tolerances (DESIGN.md, "Numbers agree across backends"). A value passes when
// |value - reference| <= abs + rel * |reference|.
#include <cmath>

#include "digitnet/model/backend.hpp"

namespace digitnet::testing {

struct Tolerance {
    double abs;
    double rel;
};

// Backends against the double reference, by the backend's precision.
inline constexpr Tolerance kDoubleTolerance{1e-12, 1e-9};
inline constexpr Tolerance kFloatTolerance{1e-6, 1e-4};
// The mixed precisions (GEMM inputs rounded, FP32 accumulation, DESIGN.md "Precisions"). Every GEMM
// input carries a relative error up to the unit roundoff u (TF32 2^-11 ~ 4.9e-4, BF16 2^-8 ~ 3.9e-3),
// so a product's relative error is up to ~2u, a layer's up to a few u, and it grows through the
// layers; entries that are sums with cancellation (small gradient entries) get it relative to the
// terms' size, hence the absolute part. Calibrated on the awkward shapes of the CPU backend's tests:
// the worst entry there sits at under 0.4 of these (m1_3_5_3 in bf16), most at 0.1 to 0.2.
inline constexpr Tolerance kTf32Tolerance{2e-4, 1e-3};
inline constexpr Tolerance kBf16Tolerance{2e-3, 1e-2};
// ReLU hidden layers in a mixed precision: a z within a rounding of 0 may land on the other side,
// switching a' = [a > 0] between 0 and 1, which moves that example's whole term of the gradient
// (O(|d| |a| / m), large for small m) instead of a roundoff's share of it. Entry by entry the gradient
// then needs these (worst seen on the conformance shapes: ~0.6 of them, bf16 20-7-4, m = 37).
inline constexpr Tolerance kTf32ReluTolerance{1e-3, 1e-2};
inline constexpr Tolerance kBf16ReluTolerance{3e-2, 1e-1};
// The GPU's tf32/bf16 against the CPU's emulation of the same precision: the same rounded products,
// but FP32 sums in another order and, for TF32, possibly truncation instead of rounding to nearest
// (gemm_inputs.hpp); where an activation lands on the other side of a rounding boundary the two
// differ by one rounding, so they agree only to the precision's own tolerance, not to float's.
inline Tolerance gpu_against_emulation(Precision p, Activation hidden);
// A data-parallel run against one process on the same backend (issue 14's figures): the same
// arithmetic, only the order of the sums over the processes differs.
inline constexpr Tolerance kDataParallelFloatTolerance{1e-9, 1e-6};
inline constexpr Tolerance kDataParallelDoubleTolerance{1e-15, 1e-12};
inline Tolerance data_parallel_tolerance(Precision p) {
    return p == Precision::Double ? kDataParallelDoubleTolerance : kDataParallelFloatTolerance;
}
// The numerical gradient check (central differences, epsilon 1e-4): norm(num-ana)/norm(num+ana).
inline constexpr double kGradientCheckMax = 1e-9;

inline Tolerance tolerance_for(Precision p) {
    switch (p) {
        case Precision::Double:
            return kDoubleTolerance;
        case Precision::Tf32:
            return kTf32Tolerance;
        case Precision::Bf16:
            return kBf16Tolerance;
        case Precision::Float:
            break;
    }
    return kFloatTolerance;
}

// The same by the network's hidden activation (see the ReLU rows above).
inline Tolerance tolerance_for(Precision p, Activation hidden) {
    if (hidden == Activation::Relu && p == Precision::Tf32) return kTf32ReluTolerance;
    if (hidden == Activation::Relu && p == Precision::Bf16) return kBf16ReluTolerance;
    return tolerance_for(p);
}

inline Tolerance gpu_against_emulation(Precision p, Activation hidden) { return tolerance_for(p, hidden); }

inline bool within(double value, double reference, Tolerance t) {
    return std::abs(value - reference) <= t.abs + t.rel * std::abs(reference);
}

// The worst |value - reference| / (abs + rel * |reference|) over two ranges: <= 1 passes.
// Tests print it so a near miss is visible before it becomes a failure.
template <class A, class B>
double worst_error_ratio(const A& values, const B& references, Tolerance t) {
    double worst = 0.0;
    for (std::size_t i = 0; i < references.size(); ++i) {
        const double ratio = std::abs(values[i] - references[i]) / (t.abs + t.rel * std::abs(references[i]));
        if (!(ratio <= worst)) worst = ratio;  // NaN becomes the worst
    }
    return worst;
}

}  // namespace digitnet::testing
