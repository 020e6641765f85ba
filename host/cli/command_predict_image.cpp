// `digitnet predict --model M --image FILE.png|FOLDER ...`: one's own handwriting through a
// trained model, one line (or JSON object) per picture.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "command_support.hpp"
#include "commands.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/io/image_input.hpp"
#include "digitnet/io/mat_io.hpp"
#include "digitnet/io/model_file.hpp"
#include "digitnet/io/png_image.hpp"
#include "digitnet/run/checks.hpp"
#include "digitnet/train/trainer.hpp"

namespace digitnet::cli {

namespace {

namespace fs = std::filesystem;

// The digit a label stands for: in the ex4 convention (labels 1..10) label 10 is the digit 0.
int digit_of(int label, int label_base, int classes) { return label_base == 1 && classes == 10 ? label % 10 : label; }

// The PNG files named: files as given, folders as their *.png files (any case) in name order.
std::vector<std::string> pictures_named(const std::vector<std::string>& given) {
    std::vector<std::string> paths;
    for (const std::string& path : given) {
        std::error_code ec;
        if (!fs::is_directory(path, ec)) {
            paths.push_back(path);
            continue;
        }
        std::vector<std::string> found;
        for (const auto& entry : fs::directory_iterator(path, ec)) {
            std::string extension = entry.path().extension().string();
            std::transform(extension.begin(), extension.end(), extension.begin(),
                           [](unsigned char c) { return std::tolower(c); });
            if (extension == ".png" && entry.is_regular_file(ec)) found.push_back(entry.path().string());
        }
        if (ec) throw InputError(path + ": cannot list the folder (" + ec.message() + ")");
        if (found.empty()) throw InputError(path + ": the folder holds no .png files");
        std::sort(found.begin(), found.end());
        paths.insert(paths.end(), found.begin(), found.end());
    }
    return paths;
}

// Where --save-input writes picture i's input: DIR/<name>.png, numbered when names repeat.
// Never one of the pictures read.
std::vector<std::string> input_picture_paths(const std::string& folder, const std::vector<std::string>& pictures) {
    std::vector<std::string> out;
    std::map<std::string, int> seen;
    for (const std::string& picture : pictures) {
        const std::string stem = fs::path(picture).stem().string();
        const int n = ++seen[stem];
        const std::string path = (fs::path(folder) / (stem + (n > 1 ? "-" + std::to_string(n) : "") + ".png")).string();
        std::error_code ec;
        for (const std::string& input : pictures)
            if (fs::equivalent(path, input, ec))
                throw InputError(path +
                                 ": --save-input would overwrite one of the pictures read; choose another folder");
        out.push_back(path);
    }
    return out;
}

}  // namespace

int run_predict_image(const PredictOptions& o) {
    const ModelFile file = read_model_for(o.model, "--model", o.network, o.assumptions);
    const Parameters& model = file.parameters;
    const ModelInfo& info = file.info;
    if (info.image.rows == 0)
        throw InputError(o.model + ": the model's " + std::to_string(model.layout.inputs()) +
                         " inputs are not a square image and the file records no image shape");
    const std::vector<std::string> paths = pictures_named(o.images);
    // Every picture read before any work: a broken file stops the run with its name.
    std::vector<GrayImage> pictures;
    for (const std::string& path : paths) {
        run::check_readable_input(path, "--image");
        pictures.push_back(read_png(path));
    }
    std::vector<std::string> save_paths;
    if (!o.save_input.empty()) {
        std::error_code ec;
        fs::create_directories(o.save_input, ec);
        if (!fs::is_directory(o.save_input, ec))
            throw InputError(o.save_input + ": --save-input cannot make this folder");
        save_paths = input_picture_paths(o.save_input, paths);
    }

    // Each picture's input row, or why there is none.
    const int n = model.layout.inputs(), K = model.layout.classes();
    std::vector<std::string> refused(paths.size());
    Matrix<double> X(static_cast<int>(paths.size()), n);
    for (std::size_t i = 0; i < paths.size(); ++i) {
        try {
            const std::vector<double> input = image_to_input(pictures[i], info);
            std::copy(input.begin(), input.end(), X.row(static_cast<int>(i)));
            if (!save_paths.empty()) write_png(save_paths[i], input_to_image(input, info));
        } catch (const NoDigitFound& e) {
            refused[i] = e.what();
        }
    }

    // A backend for the layout alone: predicting needs no training set.
    std::string note;
    auto backend = make_backend(o.compute.device, o.compute.precision, model.layout, &note);
    if (!note.empty()) std::fprintf(stderr, "digitnet: %s\n", note.c_str());
    backend->set_parameters(model);
    const Matrix<double> h = backend->output(X);
    const std::vector<int> best = predict_classes(h);
    // Softmax outputs are one probability distribution over the classes; sigmoid outputs are K
    // independent scores, each in 0..1 for its class on its own.
    const bool softmax = model.layout.output == Output::Softmax;
    const char* scores_are = softmax
                                 ? "probabilities (softmax outputs; they sum to 1)"
                                 : "independent per-class sigmoid outputs (not probabilities; they need not sum to 1)";

    nlohmann::json results = nlohmann::json::array();
    for (std::size_t i = 0; i < paths.size(); ++i) {
        if (!refused[i].empty()) {
            results.push_back({{"image", paths[i]}, {"error", refused[i]}});
            continue;
        }
        const int row = static_cast<int>(i), label = best[i] + info.label_base;
        nlohmann::json classes = nlohmann::json::array();
        for (int k = 0; k < K; ++k)
            classes.push_back({{"label", k + info.label_base},
                               {"digit", digit_of(k + info.label_base, info.label_base, K)},
                               {softmax ? "probability" : "score", h(row, k)}});
        nlohmann::json result{{"image", paths[i]},
                              {"label", label},
                              {"digit", digit_of(label, info.label_base, K)},
                              {softmax ? "probability" : "score", h(row, best[i])},
                              {"scores_are", scores_are},
                              {"classes", classes}};
        if (!save_paths.empty()) result["input_image"] = save_paths[i];
        results.push_back(result);
    }

    const bool single = paths.size() == 1 && o.images.size() == 1 && paths.front() == o.images.front();
    if (o.json) {
        const nlohmann::json out = single ? results[0] : nlohmann::json{{"images", results}};
        std::printf("%s\n", out.dump().c_str());
    } else {
        for (const auto& r : results) {
            if (r.contains("error")) continue;
            const int label = r["label"].get<int>(), digit = r["digit"].get<int>();
            std::printf("%s: predicted digit %d", r["image"].get<std::string>().c_str(), digit);
            if (digit != label) std::printf(" (label %d)", label);
            const char* what = softmax ? "probability" : "score";
            std::printf(" (%s %.3f)\n", what, r[what].get<double>());
            if (!single) continue;
            std::printf("  digit  %s (%s)\n", what, scores_are);
            for (const auto& c : r["classes"])
                std::printf("  %5d  %7.4f%s\n", c["digit"].get<int>(), c[what].get<double>(),
                            c["label"].get<int>() == label ? "  <-" : "");
        }
    }
    int refused_count = 0;
    for (std::size_t i = 0; i < paths.size(); ++i)
        if (!refused[i].empty()) {
            std::fprintf(stderr, "digitnet: error: %s: %s\n", paths[i].c_str(), refused[i].c_str());
            ++refused_count;
        }
    return refused_count > 0 ? 2 : 0;
}

}  // namespace digitnet::cli
