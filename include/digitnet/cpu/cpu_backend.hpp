#pragma once
// The CPU backend: BLAS GEMMs (OpenBLAS) plus tight loops, in float or double. The fallback
// trainer where there is no GPU, and the baseline the GPU is compared with.
#include <memory>

#include "digitnet/model/backend.hpp"

namespace digitnet {

// Any layout, activation and output. It offers its own gradient-descent loop (the update in place,
// in the backend's precision).
std::unique_ptr<Backend> make_cpu_backend(Precision precision, const Layout& layout);

// Name of the BLAS library linked in, for `digitnet info`.
std::string blas_name();

}  // namespace digitnet
