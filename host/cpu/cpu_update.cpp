// The mini-batch update loops (cpu_update.hpp). Compiled -O3 with -ffp-contract=off: no FMA may
// fuse the rule's products and sums, so that each element gets the bits the host-driven loop
// (host/train/optimizers.cpp, also without contraction) gives it with the same formula; the
// AVX2 clone only widens the vectors, and IEEE add, multiply, divide and sqrt round the same in
// every lane width.
#include "cpu_update.hpp"

namespace digitnet::cpu {

namespace {

// g for element i as compute() forms it: the slices' sums from 0 in slice order, then
// (regularised ? reg theta : 0) + sum * inverse_m.
template <class T, int Count>
inline T batch_gradient(const T* const* partials, std::ptrdiff_t at, T theta, bool regularised, T reg, T inverse_m) {
    T sum = T(0) + partials[0][at];
    if constexpr (Count == 2) sum += partials[1][at];
    return (regularised ? reg * theta : T(0)) + sum * inverse_m;
}

// One pass over the run for one or two slices (the common case: one per core on small machines);
// for more, the slices are summed first into `sum`, then a second pass updates.
template <class T, class Update>
inline double step_run(T* __restrict theta, const T* const* partials, int count, StepRun run, T reg, T inverse_m,
                       T* __restrict sum, Update update) {
    const std::size_t n = run.n;
    double squares = 0.0;
    if (run.source >= 0 && count <= 2) {
        const T* const shifted[2] = {partials[0] + run.source, partials[count - 1] + run.source};
        if (count == 1) {
#pragma omp simd reduction(+ : squares)
            for (std::size_t i = 0; i < n; ++i) {
                const T w = theta[i];
                if (run.regularised) squares += static_cast<double>(w) * static_cast<double>(w);
                update(i, batch_gradient<T, 1>(shifted, static_cast<std::ptrdiff_t>(i), w, run.regularised, reg,
                                               inverse_m));
            }
        } else {
#pragma omp simd reduction(+ : squares)
            for (std::size_t i = 0; i < n; ++i) {
                const T w = theta[i];
                if (run.regularised) squares += static_cast<double>(w) * static_cast<double>(w);
                update(i, batch_gradient<T, 2>(shifted, static_cast<std::ptrdiff_t>(i), w, run.regularised, reg,
                                               inverse_m));
            }
        }
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
    }
    if (run.regularised) {
#pragma omp simd reduction(+ : squares)
        for (std::size_t i = 0; i < n; ++i) squares += static_cast<double>(theta[i]) * static_cast<double>(theta[i]);
    }
    if (run.source >= 0) {
#pragma omp simd
        for (std::size_t i = 0; i < n; ++i) update(i, (run.regularised ? reg * theta[i] : T(0)) + sum[i] * inverse_m);
    } else {
#pragma omp simd
        for (std::size_t i = 0; i < n; ++i) update(i, run.regularised ? reg * theta[i] : T(0));
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
