#include "model_views.hpp"

#include <algorithm>

#include "digitnet/io/image_input.hpp"
#include "digitnet/model/cpu_reference.hpp"
#include "digitnet/train/trainer.hpp"

namespace digitnet::serve {

namespace {

// Row r of X as a picture's pixels, row-major, background 0 and ink 1.
std::vector<double> picture_pixels(const double* x, const ModelInfo& info) {
    return input_to_image(std::vector<double>(x, x + info.image.rows * info.image.cols), info).pixels;
}

}  // namespace

int digit_of_class(int k, const ModelInfo& info, int classes) {
    const int label = k + info.label_base;
    return info.label_base == 1 && classes == 10 ? label % 10 : label;
}

nlohmann::json read_drawing(const ServedModel& model, const GrayImage& drawing) {
    const std::vector<double> input = image_to_input(drawing, model.info);
    // One example through the plain reference forward pass: every layer's activations at hand.
    const reference::Activations forward = reference::forward(model.parameters, input.data());
    const std::vector<double>& h = forward.a.back();
    const int K = static_cast<int>(h.size());
    int best = 0;
    for (int k = 1; k < K; ++k)
        if (h[static_cast<std::size_t>(k)] > h[static_cast<std::size_t>(best)]) best = k;
    nlohmann::json digits = nlohmann::json::array();
    for (int k = 0; k < K; ++k) digits.push_back(digit_of_class(k, model.info, K));
    const std::vector<double>& first_hidden = forward.a[1];  // [1 (bias), a_1 ... a_s1]
    const Layout& layout = model.parameters.layout;
    const bool softmax = layout.output == Output::Softmax;
    return {{"digit", digit_of_class(best, model.info, K)},
            {"label", best + model.info.label_base},
            {"scores", h},
            {"digits", digits},
            {"probabilities", softmax},
            {"scores_are", softmax ? "probabilities (softmax outputs: they sum to 1)"
                                   : "independent per-class sigmoid outputs (each 0..1 on its own; not probabilities)"},
            {"activation", to_string(layout.hidden)},
            {"rows", model.info.image.rows},
            {"cols", model.info.image.cols},
            {"input", input_to_image(input, model.info).pixels},
            {"hidden", std::vector<double>(first_hidden.begin() + 1, first_hidden.end())}};
}

nlohmann::json first_layer_units(const Parameters& parameters, const ImageShape& shape) {
    const int units = parameters.layout.theta_rows(1);
    nlohmann::json list = nlohmann::json::array();
    for (int u = 0; u < units; ++u) {
        std::vector<double> picture(static_cast<std::size_t>(shape.rows) * shape.cols);
        for (int r = 0; r < shape.rows; ++r)
            for (int c = 0; c < shape.cols; ++c) {
                const int feature = shape.column_major ? c * shape.rows + r : r * shape.cols + c;
                picture[static_cast<std::size_t>(r) * shape.cols + c] = parameters.at(1, u, 1 + feature);
            }
        list.push_back(picture);
    }
    return {{"rows", shape.rows}, {"cols", shape.cols}, {"units", list}};
}

nlohmann::json evaluate(const ServedModel& model, const Dataset& set, const std::string& set_name, int most_mistakes) {
    auto backend = make_backend(Device::Cpu, Precision::Float, model.parameters.layout);
    backend->set_parameters(model.parameters);
    const std::vector<int> predicted = predict_classes(backend->output(set.X));
    const int K = model.parameters.layout.classes();
    std::vector<std::vector<long>> confusion(static_cast<std::size_t>(K),
                                             std::vector<long>(static_cast<std::size_t>(K), 0));
    std::vector<int> wrong;
    for (int i = 0; i < set.examples(); ++i) {
        const int truth = set.labels[static_cast<std::size_t>(i)], guess = predicted[static_cast<std::size_t>(i)];
        ++confusion[static_cast<std::size_t>(truth)][static_cast<std::size_t>(guess)];
        if (truth != guess) wrong.push_back(i);
    }
    // Mistakes spread evenly over the set (digits20 is sorted by digit: every digit gets its share).
    nlohmann::json mistakes = nlohmann::json::array();
    const std::size_t shown = std::min(wrong.size(), static_cast<std::size_t>(std::max(0, most_mistakes)));
    for (std::size_t n = 0; n < shown; ++n) {
        const int i = wrong[n * wrong.size() / shown];
        mistakes.push_back({{"index", i},
                            {"digit", digit_of_class(set.labels[static_cast<std::size_t>(i)], model.info, K)},
                            {"predicted", digit_of_class(predicted[static_cast<std::size_t>(i)], model.info, K)},
                            {"input", picture_pixels(set.X.row(i), model.info)}});
    }
    nlohmann::json digits = nlohmann::json::array();
    for (int k = 0; k < K; ++k) digits.push_back(digit_of_class(k, model.info, K));
    return {{"set", set_name},  {"examples", set.examples()}, {"accuracy", accuracy(predicted, set.labels)},
            {"digits", digits}, {"confusion", confusion},     {"mistakes", mistakes}};
}

}  // namespace digitnet::serve
