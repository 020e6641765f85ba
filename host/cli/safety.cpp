#include "safety.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "digitnet/cuda/cuda_backend.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/io/system_memory.hpp"

namespace digitnet::cli {

namespace {

std::string& step_name() {
    static std::string step = "starting";
    return step;
}

std::string number(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", value);
    return text;
}

}  // namespace

void set_step(const std::string& step) { step_name() = step; }
const std::string& current_step() { return step_name(); }

Device check_memory_for(const Layout& layout, long examples, const ComputeOptions& compute, std::string* note) {
    const double element = compute.precision == Precision::Double ? 8.0 : 4.0;
    const double parameters = double(layout.parameter_count());
    double units = 0;  // per example: activations with their bias row, deltas, the one-hot labels
    for (std::size_t l = 0; l < layout.sizes.size(); ++l) units += 2.0 * layout.sizes[l] + 1.0;
    units += layout.classes();
    const double activations = double(examples) * units * element;
    // Host: the optimizers keep about ten copies of the parameters in double (start, current,
    // gradient, line-search points or Adam's moments); the backend its own few, per thread.
    const double host_parameters = parameters * (10.0 * 8.0 + 4.0 * element);
    const double cpu_bytes = activations + host_parameters;
    const std::string network = "the network " + layout.describe() + " (" + number(parameters) + " parameters) on " +
                                std::to_string(examples) + " examples";
    const std::string hint = "use fewer or smaller hidden layers (--hidden), fewer examples, or --precision float";

    const bool gpu_possible = compute.device != Device::Cpu && cuda_compiled_in();
    const auto gpu = gpu_possible ? gpu_info() : std::nullopt;
    if (gpu) {
        const double gpu_bytes = activations + parameters * 4.0 * element;
        if (gpu_bytes > double(gpu->free_memory)) {
            const std::string message = network + " needs about " + bytes_text(gpu_bytes) + " of GPU memory but " +
                                        gpu->name + " has " + bytes_text(double(gpu->free_memory)) + " free";
            if (compute.device == Device::Gpu) throw InputError(message + "; HINT: " + hint + ", or --device cpu");
            check_memory_available(cpu_bytes + parameters * 8.0, network, hint);
            if (note) *note = message + ": using the CPU";
            return Device::Cpu;
        }
        check_memory_available(host_parameters, network, hint);
        return compute.device;
    }
    check_memory_available(cpu_bytes, network, hint);
    return compute.device;
}

void check_optimizer_options(const std::string& optimizer, const std::vector<std::string>& given) {
    struct Owner {
        const char* option;
        std::vector<std::string> optimizers;
    };
    static const Owner owners[] = {{"--alpha", {"gd"}},
                                   {"--iters", {"gd", "cg"}},
                                   {"--lr", {"adam"}},
                                   {"--epochs", {"adam"}},
                                   {"--batch", {"adam"}}};
    for (const Owner& owner : owners) {
        if (std::find(given.begin(), given.end(), owner.option) == given.end()) continue;
        if (std::find(owner.optimizers.begin(), owner.optimizers.end(), optimizer) != owner.optimizers.end()) continue;
        std::string names;
        for (const std::string& name : owner.optimizers) names += (names.empty() ? "" : " and ") + name;
        throw InputError(std::string(owner.option) + " is an option of --optimizer " + names + ", not of " + optimizer +
                         ", which would ignore it");
    }
}

void check_png_name(const std::string& path, const std::string& what) {
    std::string extension = path.size() >= 4 ? path.substr(path.size() - 4) : "";
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    if (extension != ".png")
        throw InputError(path + ": " + what +
                         " writes a PNG image; name the file .png (other formats are not written)");
}

std::string divergence_message(const TrainOptions& o, int examples, int iteration, double cost, double first_cost) {
    const std::string what = std::isnan(cost)   ? "NaN"
                             : std::isinf(cost) ? "infinite"
                                                : number(cost) + " (from " + number(first_cost) + ")";
    std::string hint;
    // Gradient descent shrinks each weight by alpha * lambda / m per step: past 2 the decay
    // itself overshoots and grows the weights, whatever the data.
    // Which of the two to lower: the one further above its usual value (lambda 1, alpha 0.8).
    if (o.optimizer == "gd" && o.lambda * o.alpha / std::max(examples, 1) >= 1.0 && o.lambda / 1.0 > o.alpha / 0.8)
        hint = "try a smaller --lambda (" + number(o.lambda) + " makes the weight decay itself diverge)";
    else if (o.optimizer == "adam")
        hint = "try a smaller --lr (" + number(o.learning_rate) + ")";
    else if (o.optimizer == "cg")
        hint = "try a smaller --lambda, or check the data for extreme values";
    else
        hint = "try a smaller --alpha (" + number(o.alpha) + ")";
    return "training diverged: the cost became " + what + " at iteration " + std::to_string(iteration) +
           "; HINT: " + hint + (o.save.empty() ? "" : "; " + o.save + " was not written");
}

std::string count_of(long count, const std::string& singular, const std::string& plural) {
    return std::to_string(count) + " " + (count == 1 ? singular : plural);
}

}  // namespace digitnet::cli
