// The CUDA entry points in a build without a CUDA compiler: no GPU, and a clear error on request.
#include "digitnet/cuda/cuda_backend.hpp"
#include "digitnet/errors.hpp"

namespace digitnet {

bool cuda_compiled_in() { return false; }

std::optional<GpuInfo> gpu_info() { return std::nullopt; }

std::unique_ptr<Backend> make_cuda_backend(Precision, const Layout&, const CudaOptions&) {
    throw UnavailableError(
        "--device gpu: this build of digitnet has no CUDA backend (no nvcc was found when it was configured); "
        "HINT: install the CUDA toolkit and rebuild, or use --device cpu");
}

}  // namespace digitnet
