// digitnet_dev_bench: the experiments of dev/cuda beside the paths they would replace, so that one
// run on a GPU says whether a variant has earned its way into the default build (dev/cuda/README.md):
//
//   gpu/seed/<float|double>/persistent   one gradient-descent iteration of the seed's recipe (alpha
//                                        0.8, lambda 1) on the persistent backend
//   gpu/seed/<float|double>/fused        the same on the CUDA backend's fused path (what the
//                                        persistent kernel would replace), timed the same way
//   gpu/tile/...                         the 3xTF32 tile products against the fused kernel's FP32
//                                        loop (bench_tile_product.hpp)
//
// Timing as digitnet_bench's gpu rows: after a warm-up run, each timed step is one gradient-descent
// run of 800 iterations (which synchronises at its end), reported per iteration (UseManualTime),
// 50 steps. Registered only when a GPU is present.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench_tile_product.hpp"
#include "digitnet/cuda/cuda_backend.hpp"
#include "digitnet/io/mat_io.hpp"
#include "digitnet/model/backend.hpp"
#include "persistent_backend.hpp"

namespace {

using namespace digitnet;

constexpr int kChunk = 800;  // the seed's whole recipe a timed step

const Dataset& seed_train() {
    static const Dataset train = load_mat_data(std::string(DIGITNET_SOURCE_DIR) + "/data/digits20.mat").train;
    return train;
}

void seed_iterations(benchmark::State& state, const std::function<std::unique_ptr<Backend>(const Layout&)>& make) {
    const Dataset& train = seed_train();
    const Layout layout = make_layout(train.features(), {25}, train.classes);
    std::unique_ptr<Backend> backend;
    try {
        backend = make(layout);
        backend->set_training_set(train);
    } catch (const std::exception& e) {
        state.SkipWithError(e.what());
        return;
    }
    const Parameters initial = random_parameters(layout, 1);  // `digitnet train`'s default --seed
    const GradientDescentSteps steps{kChunk, 0.8, 1.0};
    GradientDescentLoop& loop = *backend->gradient_descent_loop();
    backend->set_parameters(initial);
    loop.run(steps, {});  // warm-up
    double cost = NAN;
    for (auto _ : state) {
        backend->set_parameters(initial);
        const auto start = std::chrono::steady_clock::now();
        const std::vector<double> history = loop.run(steps, {});
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        state.SetIterationTime(seconds / kChunk);
        cost = history.empty() ? NAN : history.back();
    }
    state.counters["last_cost"] = cost;
    state.SetLabel(backend->device_name() + ", digits20 train set, time per iteration over chunks of " +
                   std::to_string(kChunk));
    if (!std::isfinite(cost)) state.SkipWithError("the cost is not finite");
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    const std::optional<GpuInfo> gpu = gpu_info();
    benchmark::AddCustomContext("GPU", gpu ? gpu->name : std::string("none found: no benchmarks registered"));
    if (gpu) {
        for (const Precision p : {Precision::Float, Precision::Double}) {
            const std::string prefix = std::string("gpu/seed/") + to_string(p);
            benchmark::RegisterBenchmark((prefix + "/persistent").c_str(), seed_iterations,
                                         [p](const Layout& l) { return dev::make_persistent_backend(p, l); })
                ->UseManualTime()
                ->Iterations(50)
                ->Unit(benchmark::kMicrosecond);
            benchmark::RegisterBenchmark((prefix + "/fused").c_str(), seed_iterations,
                                         [p](const Layout& l) {
                                             return make_cuda_backend(p, l,
                                                                      {.one_hidden_layer = OneHiddenLayerPath::Fused});
                                         })
                ->UseManualTime()
                ->Iterations(50)
                ->Unit(benchmark::kMicrosecond);
        }
        bench::register_tile_product_benchmarks();
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
