#include "digitnet/model/backend.hpp"

#include <algorithm>
#include <string>

#include "digitnet/errors.hpp"

namespace digitnet {

bool DeviceReport::has_note(const std::string& note) const {
    return std::find(notes.begin(), notes.end(), note) != notes.end();
}

std::string DeviceReport::describe() const {
    std::string line = std::string(to_string(device)) + " (" + hardware;
    if (!path.empty()) line += ", " + path;
    for (const std::string& note : notes) line += "; " + note;
    line += ")";
    if (!across.empty()) line += " x " + across;
    return line;
}

const char* to_string(Precision p) {
    switch (p) {
        case Precision::Double:
            return "double";
        case Precision::Tf32:
            return "tf32";
        case Precision::Bf16:
            return "bf16";
        case Precision::Float:
            break;
    }
    return "float";
}

Precision parse_precision(const std::string& name) {
    for (Precision p : {Precision::Float, Precision::Double, Precision::Tf32, Precision::Bf16})
        if (name == to_string(p)) return p;
    throw InputError("unknown precision '" + name + "': expected float, double, tf32 or bf16");
}

bool is_mixed(Precision p) { return p == Precision::Tf32 || p == Precision::Bf16; }

const char* to_string(Device d) {
    switch (d) {
        case Device::Cpu:
            return "cpu";
        case Device::Gpu:
            return "gpu";
        case Device::Auto:
            break;
    }
    return "auto";
}

void check_fits(const Layout& layout, const Dataset& train) {
    if (train.examples() < 1) throw InputError(train.source + ": the training set has no examples");
    if (train.features() != layout.inputs())
        throw InputError(train.source + ": the data has " + std::to_string(train.features()) +
                         " features but the network takes " + std::to_string(layout.inputs()));
    if (train.classes > layout.classes())
        throw InputError(train.source + ": the data has " + std::to_string(train.classes) +
                         " classes but the network outputs " + std::to_string(layout.classes()));
    for (int label : train.labels)
        if (label < 0 || label >= layout.classes())
            throw InputError(train.source + ": label index " + std::to_string(label) + " is outside the network's " +
                             std::to_string(layout.classes()) + " classes");
}

void throw_no_training_set() {
    throw InputError("no training set attached: the backend can predict, but cost and gradient need training data");
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
