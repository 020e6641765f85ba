#pragma once
// The mini-batch optimizers' step on the device (issue 21): the rules of update_rules.hpp, one
// thread per parameter of the flat vector, from the batch's gradient as the general pass leaves it
// on the device (already scaled by 1/m and regularised). The coefficients are made on the host once
// a step (adam_coefficients, sgd_coefficients) and passed by value, so a captured step needs only
// its kernel parameters updated (cudaGraphExecKernelNodeSetParams) from step to step.
#include <cuda_runtime_api.h>

#include "digitnet/train/update_rules.hpp"

namespace digitnet::kernels {

// theta, first (m), second (v) and grad hold `count` entries.
template <class T>
void adam_update(int count, const T* grad, T* theta, T* first, T* second, AdamCoefficients<T> c, cudaStream_t stream);

// theta, buffer (the momentum buffer) and grad hold `count` entries.
template <class T>
void sgd_update(int count, const T* grad, T* theta, T* buffer, SgdCoefficients<T> c, cudaStream_t stream);

}  // namespace digitnet::kernels
