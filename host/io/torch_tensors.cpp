#include "digitnet/io/torch_tensors.hpp"

#include <charconv>
#include <cmath>

#include "digitnet/errors.hpp"

namespace digitnet {

namespace {

std::string shape_text(const std::vector<std::int64_t>& shape) {
    std::string text = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i) text += ", ";
        text += std::to_string(shape[i]);
    }
    return text + "]";
}

// The module index of "<i>.weight" or "<i>.bias", or -1 for any other name.
long module_index(const std::string& name, bool& is_weight) {
    const std::size_t dot = name.find('.');
    if (dot == std::string::npos || dot == 0 || dot > 9) return -1;
    const std::string suffix = name.substr(dot + 1);
    if (suffix != "weight" && suffix != "bias") return -1;
    long index = 0;
    const auto [end, error] = std::from_chars(name.data(), name.data() + dot, index);
    if (error != std::errc{} || end != name.data() + dot || index < 0) return -1;
    is_weight = suffix == "weight";
    return index;
}

}  // namespace

std::vector<std::pair<std::string, Tensor>> torch_state_dict(const Parameters& parameters) {
    const Layout& layout = parameters.layout;
    std::vector<std::pair<std::string, Tensor>> tensors;
    for (int l = 1; l <= layout.layers(); ++l) {
        const int rows = layout.theta_rows(l), inputs = layout.theta_cols(l) - 1;
        Tensor weight{{rows, inputs}, {}}, bias{{rows}, {}};
        weight.values.reserve(static_cast<std::size_t>(rows) * inputs);
        for (int r = 0; r < rows; ++r) {
            bias.values.push_back(parameters.at(l, r, 0));
            for (int c = 1; c <= inputs; ++c) weight.values.push_back(parameters.at(l, r, c));
        }
        const std::string module = std::to_string(2 * (l - 1));
        tensors.emplace_back(module + ".weight", std::move(weight));
        tensors.emplace_back(module + ".bias", std::move(bias));
    }
    return tensors;
}

Parameters parameters_from_state_dict(const std::map<std::string, Tensor>& tensors, const std::string& path) {
    // Module index -> its weight and bias.
    std::map<long, std::pair<const Tensor*, const Tensor*>> modules;
    for (const auto& [name, tensor] : tensors) {
        bool is_weight = false;
        const long index = module_index(name, is_weight);
        if (index < 0)
            throw InputError(path + ": has a tensor \"" + name.substr(0, 60) +
                             "\" that is no Linear layer's; expected the state_dict of nn.Sequential(Linear, "
                             "activation, ..., Linear): 0.weight, 0.bias, 2.weight, 2.bias, ...");
        (is_weight ? modules[index].first : modules[index].second) = &tensor;
    }
    if (modules.empty())
        throw InputError(path + ": has no tensors; expected 0.weight, 0.bias, 2.weight, ... (a PyTorch state_dict)");

    std::vector<int> sizes;
    for (const auto& [index, pair] : modules) {
        const std::string name = std::to_string(index);
        if (!pair.first) throw InputError(path + ": has " + name + ".bias but no " + name + ".weight");
        if (!pair.second) throw InputError(path + ": has " + name + ".weight but no " + name + ".bias");
        const Tensor& weight = *pair.first;
        const Tensor& bias = *pair.second;
        if (weight.shape.size() != 2 || weight.shape[0] < 1 || weight.shape[1] < 1)
            throw InputError(path + ": " + name + ".weight has shape " + shape_text(weight.shape) +
                             ", expected a matrix [out, in]");
        if (bias.shape.size() != 1 || bias.shape[0] != weight.shape[0])
            throw InputError(path + ": " + name + ".bias has shape " + shape_text(bias.shape) + ", expected [" +
                             std::to_string(weight.shape[0]) + "] to go with " + name + ".weight " +
                             shape_text(weight.shape));
        if (weight.shape[0] > (1 << 24) || weight.shape[1] > (1 << 24))
            throw InputError(path + ": " + name + ".weight " + shape_text(weight.shape) + " is too large a layer");
        if (sizes.empty()) sizes.push_back(static_cast<int>(weight.shape[1]));
        if (weight.shape[1] != sizes.back())
            throw InputError(path + ": " + name + ".weight has shape " + shape_text(weight.shape) +
                             " but the layer below has " + std::to_string(sizes.back()) + " units (expected [" +
                             std::to_string(weight.shape[0]) + ", " + std::to_string(sizes.back()) + "])");
        sizes.push_back(static_cast<int>(weight.shape[0]));
    }

    Layout layout;
    layout.sizes = sizes;
    Parameters parameters(layout);
    std::size_t l = 0;
    for (const auto& [index, pair] : modules) {
        ++l;
        const Tensor& weight = *pair.first;
        const Tensor& bias = *pair.second;
        const int rows = layout.theta_rows(static_cast<int>(l)), inputs = layout.theta_cols(static_cast<int>(l)) - 1;
        if (weight.values.size() != static_cast<std::size_t>(rows) * inputs || bias.values.size() != std::size_t(rows))
            throw InputError(path + ": layer " + std::to_string(index) + " holds fewer values than its shape");
        for (int r = 0; r < rows; ++r) {
            const double b = bias.values[static_cast<std::size_t>(r)];
            if (!std::isfinite(b))
                throw InputError(path + ": " + std::to_string(index) + ".bias has a non-finite value (" +
                                 (std::isnan(b) ? "NaN" : "infinity") + ") at [" + std::to_string(r) + "]");
            parameters.at(static_cast<int>(l), r, 0) = b;
            for (int c = 0; c < inputs; ++c) {
                const double w = weight.values[static_cast<std::size_t>(r) * inputs + c];
                if (!std::isfinite(w))
                    throw InputError(path + ": " + std::to_string(index) + ".weight has a non-finite value (" +
                                     (std::isnan(w) ? "NaN" : "infinity") + ") at [" + std::to_string(r) + ", " +
                                     std::to_string(c) + "]");
                parameters.at(static_cast<int>(l), r, c + 1) = w;
            }
        }
    }
    return parameters;
}

}  // namespace digitnet
