// `digitnet predict --model M --image FILE.png`: one's own handwriting through a trained model.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/io/image_input.hpp"
#include "digitnet/io/mat_io.hpp"
#include "digitnet/io/png_image.hpp"
#include "digitnet/train/trainer.hpp"

namespace digitnet::cli {

namespace {
// The digit a label stands for: in the ex4 convention (labels 1..10) label 10 is the digit 0.
int digit_of(int label, int label_base, int classes) { return label_base == 1 && classes == 10 ? label % 10 : label; }
}  // namespace

int run_predict_image(const PredictOptions& o) {
    const Parameters model = load_weights(o.model);
    const ModelInfo info = load_model_info(o.model, model.layout.inputs());
    const GrayImage picture = read_png(o.image);
    if (info.image.rows == 0)
        throw InputError(o.model + ": the model's " + std::to_string(model.layout.inputs()) +
                         " inputs are not a square image and the file records no image shape");

    Matrix<double> X(1, model.layout.inputs());
    const std::vector<double> input = image_to_input(picture, info);
    std::copy(input.begin(), input.end(), X.row(0));

    // A backend for the layout alone: predicting needs no training set.
    std::string note;
    auto backend = make_backend(o.compute.device, o.compute.precision, model.layout, &note);
    if (!note.empty()) std::fprintf(stderr, "digitnet: %s\n", note.c_str());
    backend->set_parameters(model);
    const Matrix<double> h = backend->output(X);

    // The outputs are K independent sigmoids; shares of their sum read as class probabilities.
    const int K = h.cols;
    double total = 0.0;
    for (int k = 0; k < K; ++k) total += h(0, k);
    const int best = predict_classes(h)[0];
    const int label = best + info.label_base;

    nlohmann::json classes = nlohmann::json::array();
    for (int k = 0; k < K; ++k)
        classes.push_back({{"label", k + info.label_base},
                           {"digit", digit_of(k + info.label_base, info.label_base, K)},
                           {"probability", total > 0 ? h(0, k) / total : 1.0 / K},
                           {"output", h(0, k)}});
    if (o.json) {
        std::printf("%s\n", nlohmann::json{{"image", o.image},
                                           {"label", label},
                                           {"digit", digit_of(label, info.label_base, K)},
                                           {"classes", classes}}
                                .dump()
                                .c_str());
        return 0;
    }
    std::printf("%s: predicted digit %d", o.image.c_str(), digit_of(label, info.label_base, K));
    if (digit_of(label, info.label_base, K) != label) std::printf(" (label %d)", label);
    std::printf("\n  digit  probability\n");
    for (const auto& c : classes)
        std::printf("  %5d  %10.4f%s\n", c["digit"].get<int>(), c["probability"].get<double>(),
                    c["label"].get<int>() == label ? "  <-" : "");
    return 0;
}

}  // namespace digitnet::cli
