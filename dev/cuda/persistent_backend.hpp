#pragma once
// dev/cuda (not in the default build): the persistent training kernel (kernels/persistent_training.cu,
// a chunk of gradient-descent iterations in one cooperative launch) as a Backend of its own, so that
// its tests and benchmark rows can compare it with the CUDA backend's fused and general paths. It
// takes only the seed's kind of network: one sigmoid hidden layer of at most 32 units, at most 32
// sigmoid outputs, float or double. No GPU has measured it yet (dev/cuda/README.md).
#include <memory>
#include <string>

#include "digitnet/model/backend.hpp"

namespace digitnet::dev {

// Empty when the persistent kernel takes `layout` in `precision` on the first usable GPU;
// otherwise why not, in words.
std::string persistent_unavailable(Precision precision, const Layout& layout);

// Throws UnavailableError without a usable GPU and InputError where persistent_unavailable says
// why not. Its device_report().path is "persistent".
std::unique_ptr<Backend> make_persistent_backend(Precision precision, const Layout& layout);

}  // namespace digitnet::dev
