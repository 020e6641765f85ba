// The general pass (general_pass.hpp). One training iteration, L = 2, is 11 launches of ours
// (cuBLAS may add split-K reduction kernels to a GEMM), whatever the activation and output:
//   main stream:  GEMM z1 -> activation_prepend_bias -> GEMM z2 -> {sigmoid,softmax}_output_delta_cost
//                 -> GEMM grad2 -> GEMM d1 -> activation_gradient_delta -> GEMM grad1
//                 -> gradient_descent_update
//   side branch:  regularized_gradient_init (with the forward pass)
//                 -> regularized_cost (after the output kernel, beside the back-propagation)
// Each further hidden layer adds 4: forward GEMM, activation_prepend_bias, delta GEMM,
// activation_gradient_delta, plus its gradient GEMM. The cuBLAS conventions are those of
// forward_pass.cpp: every row-major buffer is its transpose to cuBLAS.
#include "general_pass.hpp"

#include "activation_gradient_delta.cuh"
#include "cublas_gemm.hpp"
#include "cuda_check.hpp"
#include "forward_pass.hpp"
#include "gradient_descent_update.cuh"
#include "sigmoid_output_delta_cost.cuh"
#include "softmax_output_delta_cost.cuh"

namespace digitnet::cuda {

template <class T>
void GeneralPass<T>::enqueue(ExampleSet<T>& set, const PassRequest<T>& request) {
    const int m = set.m();
    const int divisor = request.divide_by ? request.divide_by->m : m;
    regularization_.enqueue_gradient_term(request.lambda, divisor);
    enqueue_forward(network_, set.act);
    enqueue_output_delta_cost(set);
    set.enqueue_delta_bf16_copy(network_.layout().layers(), network_.layout().classes(), network_.stream());
    // Only the partials of the m examples in use: a batch's buffer may be longer (its prefix is used).
    regularization_.enqueue_cost(set.cost_partials.data(), output_cost_partials(network_.layout(), m), request.lambda,
                                 divisor, request.history, request.iteration);
    if (request.with_gradient)
        enqueue_backward(set, request.divide_by ? request.divide_by->inverse_m : set.inverse_m());
    regularization_.enqueue_join();
    if (request.step_alpha)
        kernels::gradient_descent_update(network_.parameter_count(), static_cast<T>(*request.step_alpha),
                                         network_.grad(), network_.theta(), network_.stream());
}

// d_L = h - Y into set.delta[L] and the examples' cost terms into set.cost_partials, by the
// layout's output (sigmoid: per-class cross-entropy; softmax: -log h_y).
template <class T>
void GeneralPass<T>::enqueue_output_delta_cost(ExampleSet<T>& set) {
    const Layout& layout = network_.layout();
    const int L = layout.layers();
    const int K = layout.classes();
    const int m = set.m();
    if (layout.output == Output::Softmax)
        kernels::softmax_output_delta_cost(m, K, set.act.z_out.data(), set.Y.data(), set.delta[L].data(),
                                           set.cost_partials.data(), network_.stream());
    else
        kernels::sigmoid_output_delta_cost(m, K, set.act.z_out.data(), set.Y.data(), set.delta[L].data(),
                                           set.cost_partials.data(), network_.stream());
}

// Back-propagation over the m = set.m() examples of `set`, from d_L (already in set.delta[L]);
// grad already holds (lambda/m) [0, Theta_l[:, 1:]], to which each gradient GEMM adds with
// beta = 1. alpha = inverse_m, a device scalar: the set's own 1/m, or a shard's 1/(global m).
template <class T>
void GeneralPass<T>::enqueue_backward(ExampleSet<T>& set, const T* inverse_m) {
    const Layout& layout = network_.layout();
    const int L = layout.layers();
    const int m = set.m();
    for (int l = L; l >= 1; --l) {
        const int units = layout.sizes[l];           // s_l
        const int inputs = layout.sizes[l - 1] + 1;  // s_(l-1) + 1
        // grad_l += (1/m) d_l^T a_(l-1): grad_l is (s_l x s_(l-1)+1) row-major, i.e. grad_l^T
        // (s_(l-1)+1 x s_l) to cuBLAS, and grad_l^T = (1/m) a_(l-1)^T d_l:
        //   A = a_(l-1), row-major (m x s_(l-1)+1), is a_(l-1)^T to cuBLAS (lda = s_(l-1)+1):
        //       transa = N (M = s_(l-1)+1 rows, K = m).
        //   B = d_l, row-major (m x s_l), is d_l^T to cuBLAS (ldb = s_l): transb = T gives d_l (m x s_l).
        //   C = grad_l^T (M x N = s_(l-1)+1 x s_l, ldc = s_(l-1)+1), alpha = inverse_m, beta = 1.
        // The sum runs over the m examples (K = m): cuBLAS may split it, deterministically.
        // In tf32 and bf16 on tensor cores, FP32 accumulation into the FP32 gradient (cublas_gemm.hpp).
        CUBLAS_CHECK(gemm(network_.cublas(), network_.precision(), CUBLAS_OP_N, CUBLAS_OP_T, inputs, units, m,
                          inverse_m, set.act.input(l - 1), inputs, set.delta_input(l), units, network_.one(),
                          network_.grad(l), inputs));
        if (l == 1) break;
        const int below = layout.sizes[l - 1];  // s_(l-1), the hidden layer the error goes back to
        // d_(l-1) = (d_l Theta_l[:, 1:]) .* f'(z_(l-1)). The product P = d_l Theta_l[:, 1:] is
        // (m x s_(l-1)) row-major, i.e. P^T (s_(l-1) x m) to cuBLAS, and P^T = Theta_l[:, 1:]^T d_l^T:
        //   A = Theta_l, row-major (s_l x s_(l-1)+1), is Theta_l^T (s_(l-1)+1 x s_l) to cuBLAS; starting
        //       one element in drops its row 0 (Theta_l's bias column), leaving Theta_l[:, 1:]^T
        //       (s_(l-1) x s_l) with lda = s_(l-1)+1: transa = N, and no copy without the bias column.
        //   B = d_l, row-major (m x s_l), is d_l^T (s_l x m) to cuBLAS (ldb = s_l): transb = N.
        //   C = P^T (M x N = s_(l-1) x m, ldc = s_(l-1)), i.e. P row-major in set.delta[l-1].
        CUBLAS_CHECK(gemm(network_.cublas(), network_.precision(), CUBLAS_OP_N, CUBLAS_OP_N, below, m, units,
                          network_.one(), network_.theta_input(l, 1), inputs, set.delta_input(l), units,
                          network_.zero(), set.delta[l - 1].data(), below));
        // f'(a) from the FP32 activations; then, in bf16, d_(l-1)'s copy for the GEMMs that read it.
        kernels::activation_gradient_delta(layout.hidden, m, below, set.act.a[l - 1].data(), set.delta[l - 1].data(),
                                           network_.stream());
        set.enqueue_delta_bf16_copy(l - 1, below, network_.stream());
    }
}

template class GeneralPass<float>;
template class GeneralPass<double>;

}  // namespace digitnet::cuda
