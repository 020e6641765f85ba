#pragma once
// The CPU backend: BLAS GEMMs (OpenBLAS) plus tight loops, in float or double. The fallback
// trainer where there is no GPU, and the baseline the GPU is compared with.
#include <memory>

#include "digitnet/model/backend.hpp"

namespace digitnet {

std::unique_ptr<Backend> make_cpu_backend(Precision precision, const Layout& layout,
                                          const Dataset& train);

// Name of the BLAS library linked in, for `digitnet info`.
std::string blas_name();

}  // namespace digitnet
