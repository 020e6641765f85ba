// The mini-batch update loops (cpu_update.hpp). Compiled -O3 with -ffp-contract=off: no FMA may
// fuse the rule's products and sums, so that each element gets the bits the host-driven loop
// (host/train/optimizers.cpp, also without contraction) gives it with the same formula; the
// AVX2 clone only widens the vectors, and IEEE add, multiply, divide and sqrt round the same in
// every lane width.
#include "cpu_update.hpp"

namespace digitnet::cpu {

namespace {

// The sum of theta^2 over n values, in double: eight partial sums (in a fixed order, so the result
// repeats), which the vectoriser turns into vector lanes without reassociating anything itself.
template <class T>
inline double squares_of(const T* __restrict theta, std::size_t n) {
    double lanes[8] = {};
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (std::size_t k = 0; k < 8; ++k)
            lanes[k] += static_cast<double>(theta[i + k]) * static_cast<double>(theta[i + k]);
    for (std::size_t k = 0; i < n; ++i, ++k) lanes[k] += static_cast<double>(theta[i]) * static_cast<double>(theta[i]);
    double squares = 0.0;
    for (double lane : lanes) squares += lane;
    return squares;
}

// One pass for one or two slices (the common case: one per core on small machines), g for each
// element as compute() forms it: the slices' sums from 0 in slice order, then
// (regularised ? reg theta : 0) + sum * inverse_m. Branch-free inside, so that it vectorises.
template <class T, bool Two, bool Regularised, class Update>
inline void fused_pass(const T* __restrict theta, const T* __restrict p0, const T* __restrict p1, std::size_t n, T reg,
                       T inverse_m, Update update) {
#pragma omp simd
    for (std::size_t i = 0; i < n; ++i) {
        T sum = T(0) + p0[i];
        if constexpr (Two) sum += p1[i];
        if constexpr (Regularised)
            update(i, reg * theta[i] + sum * inverse_m);
        else
            update(i, T(0) + sum * inverse_m);
    }
}

// For more slices, they are summed first into `sum`, then a second pass updates.
template <class T, class Update>
inline double step_run(T* __restrict theta, const T* const* partials, int count, StepRun run, T reg, T inverse_m,
                       T* __restrict sum, Update update) {
    const std::size_t n = run.n;
    const double squares = run.regularised ? squares_of(theta, n) : 0.0;
    if (run.source >= 0 && count <= 2) {
        const T* p0 = partials[0] + run.source;
        const T* p1 = partials[count - 1] + run.source;
        if (count == 1 && run.regularised)
            fused_pass<T, false, true>(theta, p0, p1, n, reg, inverse_m, update);
        else if (count == 1)
            fused_pass<T, false, false>(theta, p0, p1, n, reg, inverse_m, update);
        else if (run.regularised)
            fused_pass<T, true, true>(theta, p0, p1, n, reg, inverse_m, update);
        else
            fused_pass<T, true, false>(theta, p0, p1, n, reg, inverse_m, update);
        return squares;
    }
    if (run.source >= 0) {
        const T* first = partials[0] + run.source;
#pragma omp simd
        for (std::size_t i = 0; i < n; ++i) sum[i] = T(0) + first[i];
        for (int s = 1; s < count; ++s) {
            const T* partial = partials[s] + run.source;
#pragma omp simd
            for (std::size_t i = 0; i < n; ++i) sum[i] += partial[i];
        }
        if (run.regularised) {
#pragma omp simd
            for (std::size_t i = 0; i < n; ++i) update(i, reg * theta[i] + sum[i] * inverse_m);
        } else {
#pragma omp simd
            for (std::size_t i = 0; i < n; ++i) update(i, T(0) + sum[i] * inverse_m);
        }
    } else if (run.regularised) {
#pragma omp simd
        for (std::size_t i = 0; i < n; ++i) update(i, reg * theta[i]);
    } else {
#pragma omp simd
        for (std::size_t i = 0; i < n; ++i) update(i, T(0));
    }
    return squares;
}

template <class T>
inline double adam_loop(T* __restrict theta, T* __restrict m, T* __restrict v, const T* const* partials, int count,
                        StepRun run, T reg, T inverse_m, const AdamCoefficients<T>& c, T* __restrict sum) {
    return step_run(theta, partials, count, run, reg, inverse_m, sum,
                    [&](std::size_t i, T g) { adam_update(theta[i], m[i], v[i], g, c); });
}

template <class T>
inline double sgd_loop(T* __restrict theta, T* __restrict buffer, const T* const* partials, int count, StepRun run,
                       T reg, T inverse_m, const SgdCoefficients<T>& c, T* __restrict sum) {
    return step_run(theta, partials, count, run, reg, inverse_m, sum,
                    [&](std::size_t i, T g) { sgd_update(theta[i], buffer[i], g, c); });
}

}  // namespace

#define DIGITNET_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))

DIGITNET_CLONES double adam_run(float* theta, float* m, float* v, const float* const* partials, int count, StepRun run,
                                float reg, float inverse_m, const AdamCoefficients<float>& c, float* sum) {
    return adam_loop(theta, m, v, partials, count, run, reg, inverse_m, c, sum);
}
DIGITNET_CLONES double adam_run(double* theta, double* m, double* v, const double* const* partials, int count,
                                StepRun run, double reg, double inverse_m, const AdamCoefficients<double>& c,
                                double* sum) {
    return adam_loop(theta, m, v, partials, count, run, reg, inverse_m, c, sum);
}
DIGITNET_CLONES double sgd_run(float* theta, float* buffer, const float* const* partials, int count, StepRun run,
                               float reg, float inverse_m, const SgdCoefficients<float>& c, float* sum) {
    return sgd_loop(theta, buffer, partials, count, run, reg, inverse_m, c, sum);
}
DIGITNET_CLONES double sgd_run(double* theta, double* buffer, const double* const* partials, int count, StepRun run,
                               double reg, double inverse_m, const SgdCoefficients<double>& c, double* sum) {
    return sgd_loop(theta, buffer, partials, count, run, reg, inverse_m, c, sum);
}

}  // namespace digitnet::cpu
