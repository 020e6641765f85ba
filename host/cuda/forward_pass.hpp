#pragma once
// Forward propagation through cuBLAS, for any layout, activation and output: the first half of the
// general pass, and what output(X) runs on every path (the fused kernel computes only J and the
// gradient).
#include "device_network.hpp"
#include "digitnet/model/matrix.hpp"
#include "example_set.hpp"

namespace digitnet::cuda {

// Over activations.m examples, on the network's stream:
//   z_l = a_(l-1) Theta_l^T; a_l = [1, f(z_l)] for hidden l (f the layout's activation); z_L left
//   in z_out. In bf16, first Theta's BF16 copy, and each hidden a_l's after it (the GEMMs read them).
template <class T>
void enqueue_forward(DeviceNetwork<T>& network, Activations<T>& activations);

// After enqueue_forward: z_out becomes h, the network's output, in place: sigmoid(z_L) elementwise
// or softmax(z_L) row by row, by the layout's output.
template <class T>
void enqueue_output(const DeviceNetwork<T>& network, Activations<T>& activations);

// The network's output h for the rows of X (Backend::output), in buffers of its own, waited for.
// Throws InputError when X's width is not the network's input count.
template <class T>
Matrix<double> compute_output(DeviceNetwork<T>& network, const Matrix<double>& X);

}  // namespace digitnet::cuda
