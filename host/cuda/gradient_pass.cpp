// make_gradient_pass (gradient_pass.hpp): the persistent or fused pass where asked for and
// supported, else the general one.
#include "gradient_pass.hpp"

#include <type_traits>

#include "digitnet/errors.hpp"
#include "fused_pass.hpp"
#include "general_pass.hpp"
#include "persistent_pass.hpp"

namespace digitnet::cuda {

template <class T>
void GradientPass<T>::enqueue_iterations(ExampleSet<T>&, const GradientDescentSteps&, double*, int*, int) {
    throw DeviceError("this gradient pass runs one iteration at a time (runs_iterations() is false)");
}

template <class T>
std::unique_ptr<GradientPass<T>> make_gradient_pass(DeviceNetwork<T>& network, Regularization<T>& regularization,
                                                    OneHiddenLayerPath path, std::string* fallback) {
    // Automatic: fused in float, general in double, the faster of the two for each on an H100
    // (bench/RESULTS.md; in double the fused kernel's FP64 arithmetic and its doubled shared memory
    // make it slower than cuBLAS). Persistent: only when asked for, until a GPU has measured it.
    // The mixed precisions (tf32, bf16) always take the general pass: these kernels are FP32/FP64.
    const bool mixed = is_mixed(network.precision());
    int device = 0;
    CUDA_CHECK(cudaGetDevice(&device));
    if (path == OneHiddenLayerPath::Persistent) {
        const std::string why_not = mixed ? std::string("the mixed precisions take the general path")
                                          : PersistentPass<T>::unavailable(network.layout(), device);
        if (why_not.empty()) return std::make_unique<PersistentPass<T>>(network);
        if (fallback != nullptr) *fallback = "persistent path unavailable: " + why_not;
    }
    const bool fused_wanted = !mixed && (path == OneHiddenLayerPath::Fused || path == OneHiddenLayerPath::Persistent ||
                                         (path == OneHiddenLayerPath::Automatic && std::is_same_v<T, float>));
    if (fused_wanted && FusedPass<T>::supports(network.layout(), device))
        return std::make_unique<FusedPass<T>>(network, regularization);
    return std::make_unique<GeneralPass<T>>(network, regularization);
}

template class GradientPass<float>;
template class GradientPass<double>;
template std::unique_ptr<GradientPass<float>> make_gradient_pass<float>(DeviceNetwork<float>&, Regularization<float>&,
                                                                        OneHiddenLayerPath, std::string*);
template std::unique_ptr<GradientPass<double>> make_gradient_pass<double>(DeviceNetwork<double>&,
                                                                          Regularization<double>&, OneHiddenLayerPath,
                                                                          std::string*);

}  // namespace digitnet::cuda
