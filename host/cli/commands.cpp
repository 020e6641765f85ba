// The subcommands. Each validates everything it was given before it writes anything, so bad
// input leaves every output file as it was.
#include "commands.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>

#include "command_support.hpp"
#include "digitnet/cpu/cpu_backend.hpp"
#include "digitnet/cuda/cuda_backend.hpp"
#include "digitnet/distributed/mpi_session.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/io/data_loader.hpp"
#include "digitnet/io/mat_io.hpp"
#include "digitnet/io/png_image.hpp"
#include "digitnet/io/safe_output.hpp"
#include "digitnet/model/gradient_check.hpp"
#include "digitnet/train/gradient_check_run.hpp"
#include "digitnet/train/trainer.hpp"
#include "report.hpp"
#include "safety.hpp"

namespace digitnet::cli {

namespace {

// A model records how its outputs map to labels (model_info.hpp); data of the other convention
// would be scored against the wrong outputs (label 10 is the digit 0 in one, label 0 in the other).
void check_label_convention(int model_label_base, const std::string& model_path, const Dataset& data) {
    if (model_label_base == data.label_base) return;
    auto convention = [](int base) {
        return base == 1 ? std::string("labels 1..K (the ex4 .mat convention, 10 for the digit 0)")
                         : std::string("labels that are the digits 0..9");
    };
    throw InputError(model_path + ": the model was trained on " + convention(model_label_base) + " but " + data.source +
                     " has " + convention(data.label_base) +
                     "; its accuracy there would be meaningless. HINT: use data of the model's convention");
}

std::vector<int> file_labels(const Dataset& data, int classes) {
    std::vector<int> labels;
    for (int k = 0; k < classes; ++k) labels.push_back(k + data.label_base);
    return labels;
}

}  // namespace

std::string data_path_or_default(const std::string& given) {
    if (!given.empty()) return given;
    std::string local = "data/digits20.mat";
    std::error_code ec;
    if (std::filesystem::exists(local, ec)) return local;
    return std::string(DIGITNET_SOURCE_DIR) + "/data/digits20.mat";
}

int run_cost(const CostOptions& o) {
    if (!(o.lambda >= 0) || !std::isfinite(o.lambda))
        throw InputError("--lambda must be zero or positive, got " + std::to_string(o.lambda));
    check_output_path(o.gradient_out, "--grad");
    const std::string data_path = data_path_or_default(o.data);
    check_outputs_are_not_inputs({{"--grad", o.gradient_out}}, {{"--model", o.model}, {"--data", data_path}});
    const Parameters model = load_weights(o.model);
    const DataFile file = load_data(data_path);
    check_model_fits(model, o.model, file.train);

    auto backend = backend_for(o.compute, o.compute.precision, model.layout, file.train);
    backend->set_parameters(model);
    Parameters gradient;
    const double cost = backend->cost_and_gradient(o.lambda, o.gradient_out.empty() ? nullptr : &gradient);
    if (!o.gradient_out.empty()) save_weights(o.gradient_out, gradient, "_grad");

    if (o.json) {
        json out{{"cost", cost},
                 {"lambda", o.lambda},
                 {"examples", file.train.examples()},
                 {"device", to_string(backend->device())},
                 {"precision", to_string(backend->precision())}};
        if (!o.gradient_out.empty()) out["gradient_file"] = o.gradient_out;
        print_json(out);
    } else {
        std::printf("Cost at parameters (lambda %g, %d examples): %.6f\n", o.lambda, file.train.examples(), cost);
        if (!o.gradient_out.empty()) std::printf("gradient written to %s\n", o.gradient_out.c_str());
    }
    return 0;
}

int run_predict(const PredictOptions& o) {
    if (!o.images.empty()) return run_predict_image(o);
    if (o.set != "train" && o.set != "test") throw InputError("--set must be train or test, got " + o.set);
    const Parameters model = load_weights(o.model);
    const std::string data_path = data_path_or_default(o.data);
    DataFile file;
    if (!o.test_data.empty()) {
        // The test examples come from --test-data; --data, when given, is the training set they must fit.
        if (o.set != "test")
            throw InputError("--test-data names test examples: it goes with --set test, not --set " + o.set);
        file.test =
            o.data.empty() ? load_test_set(o.test_data) : load_test_data(o.test_data, load_data(data_path).train);
    } else {
        file = load_data(data_path);
    }
    if (o.set == "test" && !file.test)
        throw InputError(data_path +
                         ": --set test, but the file has no test set (Xtest/ytest, or t10k-* IDX files); "
                         "HINT: give one with --test-data");
    const Dataset& data = o.set == "test" ? *file.test : file.train;
    check_model_fits(model, o.model, data);
    check_label_convention(load_model_info(o.model, model.layout.inputs()).label_base, o.model, data);

    auto backend = backend_for(o.compute, o.compute.precision, model.layout, data);
    backend->set_parameters(model);
    const std::vector<int> predicted = predict_classes(backend->output(data.X));
    const int classes = model.layout.classes();
    std::vector<std::vector<long>> confusion(static_cast<std::size_t>(classes),
                                             std::vector<long>(static_cast<std::size_t>(classes), 0));
    for (std::size_t i = 0; i < predicted.size(); ++i)
        ++confusion[static_cast<std::size_t>(data.labels[i])][static_cast<std::size_t>(predicted[i])];
    const double fraction = accuracy(predicted, data.labels);
    const std::vector<int> labels = file_labels(data, classes);

    if (o.json) {
        print_json(json{{"accuracy", fraction},
                        {"examples", data.examples()},
                        {"confusion", confusion},
                        {"labels", labels},
                        {"set", o.set},
                        {"device", to_string(backend->device())}});
    } else {
        std::printf("accuracy %s on the %s set of %s (%d examples)\n", percent(fraction).c_str(), o.set.c_str(),
                    (o.test_data.empty() ? data_path : o.test_data).c_str(), data.examples());
        std::printf("%s", confusion_text(confusion, labels).c_str());
    }
    return 0;
}

int run_gradcheck(const GradcheckOptions& o) {
    if (!(o.lambda >= 0) || !std::isfinite(o.lambda))
        throw InputError("--lambda must be zero or positive, got " + std::to_string(o.lambda));
    if (o.compute.precision_given && o.compute.precision != Precision::Double)
        throw InputError(std::string("--precision ") + to_string(o.compute.precision) +
                         ": the gradient check checks double precision only (central differences need its accuracy)");
    if (o.examples < 1) throw InputError("--examples must be at least 1");

    const std::string data_path = data_path_or_default(o.data);
    const DataFile file = load_data(data_path);
    std::string note;
    const GradientCheckReport report =
        run_gradient_checks(file.train, data_path, o.examples, o.seed, o.lambda, o.compute.device, &note);
    print_note(note, false);

    json results = json::array();
    for (const GradientCheckCase& check : report.cases) {
        results.push_back({{"check", check.name},
                           {"parameters", check.parameters},
                           {"relative_difference", check.relative_difference}});
        if (!o.json)
            std::printf("%-70s %8zu parameters  relative difference %.3e\n", check.name.c_str(), check.parameters,
                        check.relative_difference);
    }
    const bool passed = report.passed;
    if (o.json) {
        print_json(json{{"relative_difference", report.worst},
                        {"passed", passed},
                        {"lambda", o.lambda},
                        {"epsilon", 1e-4},
                        {"precision", "double"},
                        {"device", report.device_name},
                        {"checks", results}});
    } else {
        std::printf(
            "%s: worst relative difference %.3e (must be under 1e-9; lambda %g, epsilon 1e-4, double precision, %s)\n",
            passed ? "PASSED" : "FAILED", report.worst, o.lambda, report.device_name.c_str());
    }
    return passed ? 0 : 1;
}

int run_show(const ShowOptions& o) {
    check_png_name(o.out, "--out");
    check_output_path(o.out, "--out");
    check_outputs_are_not_inputs({{"--out", o.out}}, {{"--data", data_path_or_default(o.data)}, {"--model", o.model}});
    if (o.count < 1) throw InputError("--count must be at least 1");
    GrayImage image;
    std::string what;
    if (!o.model.empty()) {
        const Parameters model = load_weights(o.model);
        ImageShape shape =
            load_model_info(o.model, model.layout.inputs()).image;  // row-major for IDX/CSV-trained models
        if (!o.data.empty()) shape = load_data(o.data).train.image;
        image = hidden_units(model, shape);
        what = std::to_string(model.layout.theta_rows(1)) + " hidden units of " + o.model;
    } else {
        const std::string data_path = data_path_or_default(o.data);
        const DataFile file = load_data(data_path);
        image = random_digits(file.train, o.count, o.seed);
        what = count_of(std::min(o.count, file.train.examples()), "random example", "random examples") + " of " +
               data_path;
    }
    write_png(o.out, image);
    if (o.json)
        print_json(json{{"out", o.out}, {"width", image.width}, {"height", image.height}, {"shows", what}});
    else
        std::printf("wrote %s (%d x %d): %s\n", o.out.c_str(), image.width, image.height, what.c_str());
    return 0;
}

int run_info(const InfoOptions& o) {
    const auto gpu = gpu_info();
    json gpu_json = nullptr;
    if (gpu)
        gpu_json = {
            {"name", gpu->name},
            {"compute_capability", std::to_string(gpu->compute_major) + "." + std::to_string(gpu->compute_minor)},
            {"memory_bytes", gpu->total_memory},
            {"free_bytes", gpu->free_memory}};
    if (o.json) {
        print_json(json{{"version", DIGITNET_VERSION},
                        {"cuda_compiled", cuda_compiled_in()},
                        {"gpu", gpu_json},
                        {"blas", blas_name()},
                        {"mpi", mpi_compiled_in() ? json(mpi_library_version()) : json(nullptr)},
                        {"nccl", nccl_compiled_in() ? json(nccl_version()) : json(nullptr)}});
        return 0;
    }
    std::printf("digitnet %s\n", DIGITNET_VERSION);
    std::printf("  CUDA backend  %s\n", cuda_compiled_in() ? "compiled in" : "not compiled in (no nvcc at build time)");
    if (gpu)
        std::printf("  GPU           %s, compute capability %d.%d, %.1f GiB (%.1f GiB free)\n", gpu->name.c_str(),
                    gpu->compute_major, gpu->compute_minor, double(gpu->total_memory) / (1 << 30),
                    double(gpu->free_memory) / (1 << 30));
    else
        std::printf("  GPU           none found%s\n", cuda_compiled_in() ? "" : " (not looked for)");
    std::printf("  BLAS          %s\n", blas_name().c_str());
    const std::string mpi = mpi_compiled_in()
                                ? "compiled in (" + mpi_library_version() + "): mpirun -np N digitnet train ..."
                                : "not compiled in (no MPI at build time): one process";
    const std::string nccl = nccl_compiled_in() ? "compiled in (" + nccl_version() + "): GPUs sum gradients over NCCL"
                                                : "not compiled in (needs CUDA and NCCL at build time)";
    std::printf("  MPI           %s\n", mpi.c_str());
    std::printf("  NCCL          %s\n", nccl.c_str());
    return 0;
}

}  // namespace digitnet::cli
