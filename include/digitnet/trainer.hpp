#pragma once
// Training runs: pick a backend, run an optimizer on it, report what happened.
#include <memory>
#include <string>
#include <vector>

#include "digitnet/backend.hpp"

namespace digitnet {

// The backend for a device request. Auto takes the GPU when there is a usable one and otherwise
// the CPU, writing the reason to `note` ("no GPU found: using the CPU"). Gpu without a usable
// GPU throws UnavailableError.
std::unique_ptr<Backend> make_backend(Device device, Precision precision, const Layout& layout,
                                      const Dataset& train, std::string* note = nullptr);

}  // namespace digitnet
