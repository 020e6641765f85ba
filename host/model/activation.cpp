#include "digitnet/model/activation.hpp"

#include "digitnet/errors.hpp"

namespace digitnet {

const char* to_string(Activation f) {
    switch (f) {
        case Activation::Tanh:
            return "tanh";
        case Activation::Relu:
            return "relu";
        case Activation::Sigmoid:
            break;
    }
    return "sigmoid";
}

const char* to_string(Output o) { return o == Output::Softmax ? "softmax" : "sigmoid"; }

std::vector<std::string> activation_names() {
    std::vector<std::string> names;
    for (int f = 0; f < kActivationCount; ++f) names.emplace_back(to_string(static_cast<Activation>(f)));
    return names;
}

std::vector<std::string> output_names() {
    std::vector<std::string> names;
    for (int o = 0; o < kOutputCount; ++o) names.emplace_back(to_string(static_cast<Output>(o)));
    return names;
}

Activation parse_activation(const std::string& text, const std::string& option) {
    for (int f = 0; f < kActivationCount; ++f)
        if (text == to_string(static_cast<Activation>(f))) return static_cast<Activation>(f);
    throw InputError(option + " '" + text + "': the hidden activation is one of sigmoid, tanh, relu");
}

Output parse_output(const std::string& text, const std::string& option) {
    for (int o = 0; o < kOutputCount; ++o)
        if (text == to_string(static_cast<Output>(o))) return static_cast<Output>(o);
    throw InputError(option + " '" + text + "': the output is one of sigmoid, softmax");
}

}  // namespace digitnet
