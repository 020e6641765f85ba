#include "digitnet/model/activation.hpp"

#include "digitnet/errors.hpp"

namespace digitnet {

const char* to_string(Activation f) {
    switch (f) {
        case Activation::Tanh: return "tanh";
        case Activation::Relu: return "relu";
        case Activation::Sigmoid: break;
    }
    return "sigmoid";
}

const char* to_string(Output o) { return o == Output::Softmax ? "softmax" : "sigmoid"; }

Activation parse_activation(const std::string& text, const std::string& option) {
    for (Activation f : {Activation::Sigmoid, Activation::Tanh, Activation::Relu})
        if (text == to_string(f)) return f;
    throw InputError(option + " '" + text + "': the hidden activation is one of sigmoid, tanh, relu");
}

Output parse_output(const std::string& text, const std::string& option) {
    for (Output o : {Output::Sigmoid, Output::Softmax})
        if (text == to_string(o)) return o;
    throw InputError(option + " '" + text + "': the output is one of sigmoid, softmax");
}

}  // namespace digitnet
