// Kernels and launcher for output_sigmoid.cuh.
#include "device_math.cuh"
#include "linear_kernel.cuh"
#include "output_sigmoid.cuh"

namespace digitnet::kernels {

// ---- kernels ----

// h = sigmoid(z_L), elementwise (count = m K). No __restrict__: h may alias z.
template <class T>
__global__ void output_sigmoid_kernel(int count, const T* z, T* h) {
    const int i = linear_index();
    if (i >= count) return;
    h[i] = activate<Activation::Sigmoid>(z[i]);
}

// ---- launchers ----

template <class T>
void output_sigmoid(int count, const T* z, T* h, cudaStream_t stream) {
    linear_kernel(output_sigmoid_kernel<T>, static_cast<std::size_t>(count), stream, z, h);
}

template void output_sigmoid<float>(int, const float*, float*, cudaStream_t);
template void output_sigmoid<double>(int, const double*, double*, cudaStream_t);

}  // namespace digitnet::kernels
