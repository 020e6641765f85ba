// make_gradient_pass (gradient_pass.hpp): the fused pass where asked for and supported, else the
// general one.
#include "gradient_pass.hpp"

#include <type_traits>

#include "digitnet/errors.hpp"
#include "fused_pass.hpp"
#include "general_pass.hpp"

namespace digitnet::cuda {

template <class T>
std::unique_ptr<GradientPass<T>> make_gradient_pass(DeviceNetwork<T>& network, Regularization<T>& regularization,
                                                    OneHiddenLayerPath path) {
    // Automatic: fused in float, general in double, the faster of the two for each on an H100
    // (bench/RESULTS.md; in double the fused kernel's FP64 arithmetic and its doubled shared memory
    // make it slower than cuBLAS). The mixed precisions (tf32, bf16) always take the general pass: these kernels are
    // FP32/FP64.
    const bool mixed = is_mixed(network.precision());
    int device = 0;
    CUDA_CHECK(cudaGetDevice(&device));
    const bool fused_wanted = !mixed && (path == OneHiddenLayerPath::Fused ||
                                         (path == OneHiddenLayerPath::Automatic && std::is_same_v<T, float>));
    if (fused_wanted && FusedPass<T>::supports(network.layout(), device))
        return std::make_unique<FusedPass<T>>(network, regularization);
    return std::make_unique<GeneralPass<T>>(network, regularization);
}

template std::unique_ptr<GradientPass<float>> make_gradient_pass<float>(DeviceNetwork<float>&, Regularization<float>&,
                                                                        OneHiddenLayerPath);
template std::unique_ptr<GradientPass<double>> make_gradient_pass<double>(DeviceNetwork<double>&,
                                                                          Regularization<double>&, OneHiddenLayerPath);

}  // namespace digitnet::cuda
