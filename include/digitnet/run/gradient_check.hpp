#pragma once
// The checks `digitnet gradcheck` and Python's digitnet.gradcheck run: backpropagation on a
// backend, in double, against central differences (epsilon 1e-4), on the course's 3-5-3 network
// and on `examples` random examples of a data set, both with the network the user would train
// (the hidden layers, activation and output of a run request; the seed's 25 sigmoid units by
// default).
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "digitnet/model/backend.hpp"
#include "digitnet/model/dataset.hpp"
#include "digitnet/run/request.hpp"

namespace digitnet::run {

struct GradientCheckCase {
    std::string name;  // "small network 3-5-3, 5 examples", "16 random examples of FILE, network 400-25-10"
    std::size_t parameters = 0;
    double relative_difference = 0.0;  // norm(num - ana) / norm(num + ana)
};

struct GradientCheckReport {
    std::vector<GradientCheckCase> cases;
    double worst = 0.0;   // the largest relative difference (infinity when one is NaN)
    bool passed = false;  // worst < 1e-9
    std::string device_name;
};

// The check was stopped (Ctrl-C) through GradientCheckRequest::should_stop.
class GradientCheckStopped : public std::runtime_error {
public:
    GradientCheckStopped() : std::runtime_error("the gradient check was interrupted") {}
};

struct GradientCheckRequest {
    NetworkRequest network;  // hidden sizes of the data check (the small check keeps 5 units a layer)
    int examples = 16;
    std::uint64_t seed = 1;  // the subset and the weights
    double lambda = 1.0;
    Device device = Device::Auto;
    // Asked between cost evaluations (a few thousand a second); true stops the check, which then
    // throws GradientCheckStopped.
    std::function<bool()> should_stop;
};

// `train` is the data set's training part, `data_name` how to call it in the case's name.
// `note` as in make_backend.
GradientCheckReport run_gradient_checks(const Dataset& train, const std::string& data_name,
                                        const GradientCheckRequest& request, std::string* note = nullptr);

}  // namespace digitnet::run
