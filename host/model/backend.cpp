#include "digitnet/model/backend.hpp"

namespace digitnet {

const char* to_string(Precision p) { return p == Precision::Double ? "double" : "float"; }

const char* to_string(Device d) {
    switch (d) {
        case Device::Cpu: return "cpu";
        case Device::Gpu: return "gpu";
        case Device::Auto: break;
    }
    return "auto";
}

std::vector<int> predict_classes(const Matrix<double>& h) {
    std::vector<int> classes(static_cast<std::size_t>(h.rows));
    for (int i = 0; i < h.rows; ++i) {
        int best = 0;
        for (int k = 1; k < h.cols; ++k)
            if (h(i, k) > h(i, best)) best = k;
        classes[static_cast<std::size_t>(i)] = best;
    }
    return classes;
}

double accuracy(const std::vector<int>& predicted, const std::vector<int>& labels) {
    if (labels.empty()) return 0.0;
    std::size_t right = 0;
    for (std::size_t i = 0; i < labels.size(); ++i) right += predicted[i] == labels[i];
    return double(right) / double(labels.size());
}

}  // namespace digitnet
