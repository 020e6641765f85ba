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
// The numerical gradient check (central differences, epsilon 1e-4): norm(num-ana)/norm(num+ana).
inline constexpr double kGradientCheckMax = 1e-9;

inline Tolerance tolerance_for(Precision p) {
    return p == Precision::Double ? kDoubleTolerance : kFloatTolerance;
}

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
