#include "digitnet/trainer.hpp"

#include "digitnet/cpu_backend.hpp"
#include "digitnet/cuda_backend.hpp"
#include "digitnet/errors.hpp"

namespace digitnet {

std::unique_ptr<Backend> make_backend(Device device, Precision precision, const Layout& layout, const Dataset& train,
                                      std::string* note) {
    if (device == Device::Cpu) return make_cpu_backend(precision, layout, train);
    if (device == Device::Gpu) return make_cuda_backend(precision, layout, train);
    // Auto: the GPU when one is usable, else the CPU, saying why.
    if (!cuda_compiled_in()) {
        if (note) *note = "this build has no CUDA backend: using the CPU";
        return make_cpu_backend(precision, layout, train);
    }
    if (!gpu_info()) {
        if (note) *note = "no GPU found: using the CPU";
        return make_cpu_backend(precision, layout, train);
    }
    try {
        return make_cuda_backend(precision, layout, train);
    } catch (const DeviceError& e) {
        if (note) *note = std::string("the GPU could not be used (") + e.what() + "): using the CPU";
        return make_cpu_backend(precision, layout, train);
    }
}

}  // namespace digitnet
