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

#include "activation_prepend_bias.cuh"
#include "cublas_gemm.hpp"
#include "cuda_check.hpp"
#include "output_sigmoid.cuh"
#include "output_softmax.cuh"

namespace digitnet::cuda {

template <class T>
void enqueue_forward(const DeviceNetwork<T>& network, Activations<T>& activations) {
    const Layout& layout = network.layout();
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
        CUBLAS_CHECK(gemm(network.cublas(), CUBLAS_OP_T, CUBLAS_OP_N, units, m, inputs, network.one(),
                          network.theta(l), inputs, activations.a[l - 1].data(), inputs, network.zero(), C, ldc));
        if (hidden)
            kernels::activation_prepend_bias(layout.hidden, m, units, activations.a[l].data(), network.stream());
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

template void enqueue_forward<float>(const DeviceNetwork<float>&, Activations<float>&);
template void enqueue_forward<double>(const DeviceNetwork<double>&, Activations<double>&);
template void enqueue_output<float>(const DeviceNetwork<float>&, Activations<float>&);
template void enqueue_output<double>(const DeviceNetwork<double>&, Activations<double>&);

}  // namespace digitnet::cuda
