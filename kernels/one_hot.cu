// Kernels and launcher for one_hot.cuh.
#include "linear_kernel.cuh"
#include "one_hot.cuh"

namespace digitnet::kernels {

// ---- kernels ----

// Y[r, k] = (y_r == k): one thread per element of Y (count = m K).
template <class T>
__global__ void one_hot_kernel(int count, int classes, const int* __restrict__ labels, T* __restrict__ Y) {
    const int i = linear_index();
    if (i >= count) return;
    const int r = i / classes;
    const int k = i - r * classes;
    Y[i] = labels[r] == k ? T(1) : T(0);
}

// ---- launchers ----

template <class T>
void one_hot(int m, int classes, const int* labels, T* Y, cudaStream_t stream) {
    linear_kernel(one_hot_kernel<T>, static_cast<std::size_t>(m) * classes, stream, classes, labels, Y);
}

template void one_hot<float>(int, int, const int*, float*, cudaStream_t);
template void one_hot<double>(int, int, const int*, double*, cudaStream_t);

}  // namespace digitnet::kernels
