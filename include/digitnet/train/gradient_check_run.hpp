#pragma once
// The checks `digitnet gradcheck` and Python's digitnet.gradcheck run: backpropagation on a
// backend, in double, against central differences (epsilon 1e-4), on the course's 3-5-3 network
// and on `examples` random examples of a data set with a 25-unit hidden layer.
#include <cstdint>
#include <string>
#include <vector>

#include "digitnet/model/backend.hpp"
#include "digitnet/model/dataset.hpp"

namespace digitnet {

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

// `train` is the data set's training part, `data_name` how to call it in the case's name. The
// subset and the weights are drawn from `seed`. `note` as in make_backend.
GradientCheckReport run_gradient_checks(const Dataset& train, const std::string& data_name, int examples,
                                        std::uint64_t seed, double lambda, Device device, std::string* note = nullptr);

}  // namespace digitnet
