// Forward propagation through cuBLAS (forward_pass.hpp).
//
// How cuBLAS sees the buffers. cuBLAS is column-major: a row-major r x c matrix with row stride c
// is, to cuBLAS, its transpose (c x r) with leading dimension c. So every product is computed
// transposed, (P Q)^T = Q^T P^T, and the flags follow from that; each GEMM call works it out. The
// layout is chosen so that no GEMM needs a transposed copy of a big matrix: X is read as uploaded
// (as A0^T, column-major), every activation is written where the next step reads it, and the
// forward GEMM writes z_l straight into a_l[:, 1:] (leading dimension s_l + 1), so the hidden-layer
// kernel only applies the activation and sets the bias column.
#include "forward_pass.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "activation_prepend_bias.cuh"
#include "cublas_gemm.hpp"
#include "cuda_check.hpp"
#include "digitnet/errors.hpp"
#include "output_sigmoid.cuh"
#include "output_softmax.cuh"

namespace digitnet::cuda {

template <class T>
void enqueue_forward(DeviceNetwork<T>& network, Activations<T>& activations) {
    const Layout& layout = network.layout();
    network.enqueue_gemm_weights();  // bf16: Theta's BF16 copy (it changes every iteration)
    const int L = layout.layers();
    const int m = activations.m;
    for (int l = 1; l <= L; ++l) {
        const int units = layout.sizes[l];           // s_l
        const int inputs = layout.sizes[l - 1] + 1;  // s_(l-1) + 1, with the bias unit
        const bool hidden = l < L;
        T* C = hidden ? activations.a[l].data() + 1 : activations.z_out.data();
        const int ldc = hidden ? units + 1 : units;
        // z_l = a_(l-1) Theta_l^T is (m x s_l) row-major, i.e. z_l^T (s_l x m) to cuBLAS, and
        // z_l^T = Theta_l a_(l-1)^T:
        //   A = Theta_l, row-major (s_l x s_(l-1)+1), is Theta_l^T to cuBLAS (lda = s_(l-1)+1):
        //       transa = T gives Theta_l (M = s_l rows, K = s_(l-1)+1).
        //   B = a_(l-1), row-major (m x s_(l-1)+1), is a_(l-1)^T to cuBLAS (ldb = s_(l-1)+1):
        //       transb = N (K x N = s_(l-1)+1 x m), read as stored: X is never transposed.
        //   C = z_l^T (s_l x m). A hidden layer writes it into a_l[:, 1:] (ldc = s_l + 1, one element
        //       in), so activation_prepend_bias finishes a_l in place; the output layer into z_out (ldc = K).
        // In tf32 and bf16 on tensor cores (cublas_gemm.hpp), from a_(l-1)'s BF16 copy in bf16.
        CUBLAS_CHECK(gemm(network.cublas(), network.precision(), CUBLAS_OP_T, CUBLAS_OP_N, units, m, inputs,
                          network.one(), network.theta_input(l), inputs, activations.input(l - 1), inputs,
                          network.zero(), C, ldc));
        if (!hidden) break;
        kernels::activation_prepend_bias(layout.hidden, m, units, activations.a[l].data(), network.stream());
        enqueue_bf16_copy(layout, activations, l, network.stream());
    }
}

template <class T>
void enqueue_output(const DeviceNetwork<T>& network, Activations<T>& activations) {
    const int K = network.layout().classes();
    T* z = activations.z_out.data();
    if (network.layout().output == Output::Softmax)
        kernels::output_softmax(activations.m, K, z, z, network.stream());
    else
        kernels::output_sigmoid(activations.m * K, z, z, network.stream());
}

template <class T>
Matrix<double> compute_output(DeviceNetwork<T>& network, const Matrix<double>& X) {
    const Layout& layout = network.layout();
    if (X.cols != layout.inputs())
        throw InputError("output: X has " + std::to_string(X.cols) + " features, network " + layout.describe() +
                         " takes " + std::to_string(layout.inputs()));
    Matrix<double> h(X.rows, layout.classes());
    if (X.rows == 0) return h;
    Activations<T> activations = make_activations<T>(layout, X.rows, network.precision() == Precision::Bf16);
    upload_inputs(X, activations, network.stream());
    enqueue_forward(network, activations);
    enqueue_output(network, activations);
    std::vector<T> values(activations.z_out.size());
    activations.z_out.download(values.data(), values.size(), network.stream());
    CUDA_CHECK(cudaStreamSynchronize(network.stream()));
    std::copy(values.begin(), values.end(), h.data.begin());
    return h;
}

template void enqueue_forward<float>(DeviceNetwork<float>&, Activations<float>&);
template void enqueue_forward<double>(DeviceNetwork<double>&, Activations<double>&);
template void enqueue_output<float>(const DeviceNetwork<float>&, Activations<float>&);
template void enqueue_output<double>(const DeviceNetwork<double>&, Activations<double>&);
template Matrix<double> compute_output<float>(DeviceNetwork<float>&, const Matrix<double>&);
template Matrix<double> compute_output<double>(DeviceNetwork<double>&, const Matrix<double>&);

}  // namespace digitnet::cuda
