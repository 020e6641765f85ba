#pragma once
// The update of the CPU backend's own mini-batch loop (cpu_backend.cpp, "Mini-batches"), over one
// contiguous run of the flat parameters: the slices' partial gradients summed in slice order, the
// batch's gradient formed exactly as CpuBackend::compute forms it (so that the step is the
// host-driven loop's to the bit), then the rule of update_rules.hpp per element.
#include <cstddef>

#include "digitnet/train/update_rules.hpp"

namespace digitnet::cpu {

// One run of n parameters theta[0..n): partials[s][source + i] is slice s's unscaled gradient
// sum for theta[i] (count slices), or there is none when source < 0 (features 0 in every example);
// regularised: the run is not a bias column. g = (regularised ? reg theta : 0) + (sum * inverse_m).
// Returns the sum of theta^2 over the run before the update (0 when not regularised), in double.
// sum is scratch space for n values.
struct StepRun {
    std::ptrdiff_t source;
    std::size_t n;
    bool regularised;
};

double adam_run(float* theta, float* m, float* v, const float* const* partials, int count, StepRun run, float reg,
                float inverse_m, const AdamCoefficients<float>& c, float* sum);
double adam_run(double* theta, double* m, double* v, const double* const* partials, int count, StepRun run, double reg,
                double inverse_m, const AdamCoefficients<double>& c, double* sum);
double sgd_run(float* theta, float* buffer, const float* const* partials, int count, StepRun run, float reg,
               float inverse_m, const SgdCoefficients<float>& c, float* sum);
double sgd_run(double* theta, double* buffer, const double* const* partials, int count, StepRun run, double reg,
               double inverse_m, const SgdCoefficients<double>& c, double* sum);

}  // namespace digitnet::cpu
