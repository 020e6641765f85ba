#pragma once
// The GPU mini-batch loop's own state on the device (issue 21, prepared, not yet wired into
// CudaBackend): the epoch's permutation, uploaded once per epoch, from which each step's rows are
// read in place (batch_rows: a device pointer into it, for gather_rows); the optimizer's moments,
// which never leave the device during a run; and the step itself (apply: the kernels of
// minibatch_update.cuh with update_rules.hpp's coefficients for the step).
//
// What is left to wire (cuda_backend.cpp, example_set.*, owned elsewhere this round): CudaBackend
// offering minibatch_loop(), whose run() per step calls example_set's gather with batch_rows()
// instead of uploading the rows, the general pass (gradient left on the device), then apply(); the
// step captured once in a CUDA graph with the coefficients as kernel parameters updated per replay;
// progress and the cost downloaded every few hundred milliseconds.
#include <cuda_runtime_api.h>

#include <cstdint>
#include <vector>

#include "device_buffer.hpp"
#include "digitnet/train/minibatch_loop.hpp"

namespace digitnet::cuda {

template <class T>
class MiniBatchState {
public:
    // For a run over `examples` examples of `parameters` parameters, from `state` (its moments
    // uploaded; zeros where it has none).
    MiniBatchState(const MiniBatchRun& run, const OptimizerState& state, int examples, std::size_t parameters,
                   cudaStream_t stream);

    // The device rows of step `step`'s batch (uploading its epoch's permutation when the step
    // starts a new epoch), and how many.
    const int* batch_rows(std::int64_t step, int* count);

    // The step's update of theta from grad (both on the device, `parameters` entries), queued.
    void apply(std::int64_t step, const T* grad, T* theta);

    // The moments in double (waits for the stream).
    OptimizerState state(std::int64_t steps_done) const;

private:
    MiniBatchRun run_;
    int examples_;
    std::size_t parameters_;
    cudaStream_t stream_;
    std::int64_t total_steps_, epoch_ = -1;
    std::vector<int> order_;  // the host's copy of the epoch's permutation (the upload's source)
    DeviceBuffer<int> device_order_;
    DeviceBuffer<T> first_, second_;
};

}  // namespace digitnet::cuda
