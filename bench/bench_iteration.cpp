// digitnet_bench: one full-batch gradient-descent iteration (cost + gradient + update, the seed's
// recipe: alpha 0.8, lambda 1) per timed step, on every implementation we have:
//
//   reference/seed/double   the CPU reference (plain double loops, one example at a time)
//   cpu/<config>/<precision>   the CPU backend (OpenBLAS GEMMs + loops); precision float, double,
//                                 or tf32 / bf16 (the mixed precisions, emulated: gemm_inputs.hpp)
//   gpu/<config>/<precision>   the CUDA backend (registered only when gpu_info() finds a GPU),
//                                 default options (tf32 / bf16 on tensor cores);
//                                 gpu/seed/<float|double>/fused and .../general force each path
//                                 for the seed's one-hidden-layer network (the label's device
//                                 name says which ran); gpu/seed/float[/general]/graph<N>:
//                                 N iterations per CUDA graph (CudaOptions::iterations_per_graph)
//   gpu/cublas/<shape>/<precision>[/ld8]   cuBLAS alone on the large and wide configurations'
//                                 GEMM shapes and a square product, float/double/tf32/bf16: the
//                                 ceiling for gpu/large and gpu/wide (bench_cublas.cpp)
//
// Configurations:
//   seed   data/digits20.mat train set, 5000 x 400 -> 25 -> 10 (the seed's network)
//   large  60000 x 784 -> 1024 -> 10: Fashion-MNIST's training set from
//          /usr/share/datasets/fashion-mnist (IDX, gzip; read by load_data) when it is there,
//          otherwise synthetic random data with a fixed seed; the label of each result says
//          which. On the CPU this is ~0.2 TFLOP per iteration, so the CPU large benchmarks are
//          registered only with --large (or DIGITNET_BENCH_LARGE=1); on a GPU they always are.
//   wide   the same data, 784 -> 4096 -> 4096 -> 10: ~7 TFLOP per iteration, GPU only (float, tf32,
//          bf16: the tensor cores' showcase, issue 16).
//
// Every result carries FLOP=...G/s (GFLOP/s: the GEMM FLOPs of the layout, formula below, over the
// real time) and min_bytes=...G/s (the iteration's minimum memory traffic over its time), and the
// run's context prints the floor of both configurations: FLOPs and minimum bytes of one iteration.
// CPU rows are timed in real (wall) time: the CPU backend runs on several threads, so the CPU
// time of the main thread would undercount.
//
// GPU timing: after a warm-up call, each timed step is one backend->gradient_descent() over a
// chunk of iterations (800 on seed, the whole recipe; 20 on large), which synchronises at its end;
// the wall time of the chunk divided by its length is reported through UseManualTime, so the
// time column is per gradient-descent iteration on every row. The number of chunks is fixed
// (50 on seed, 10 on large): with a minimum time instead, Google Benchmark would count only the
// per-iteration share of each chunk towards it and run some 800 times longer than asked.
//
// Usage: digitnet_bench [--large] [--benchmark_filter=REGEX] [--benchmark_repetitions=N] ...
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "digitnet/cpu/cpu_backend.hpp"
#include "digitnet/cuda/cuda_backend.hpp"
#include "digitnet/io/data_loader.hpp"
#include "digitnet/io/mat_io.hpp"
#include "digitnet/model/backend.hpp"
#include "digitnet/model/cpu_reference.hpp"
#include "digitnet/model/dataset.hpp"
#include "digitnet/model/layout.hpp"

#ifdef DIGITNET_HAVE_CUDA
#include "bench_cublas.hpp"
#endif

namespace {

using namespace digitnet;

constexpr double kAlpha = 0.8;
constexpr double kLambda = 1.0;
constexpr std::uint64_t kWeightSeed = 1;  // `digitnet train`'s default --seed

// ---------------------------------------------------------------------------------------------
// The arithmetic of one iteration
// ---------------------------------------------------------------------------------------------

// GEMM FLOPs of one iteration for layer sizes s0..sL and m examples (a multiply-add counts 2):
//   forward   z_l = A_(l-1) Theta_l^T, l = 1..L:            2 m s_l (s_(l-1) + 1)
//   deltas    d_(l-1) = d_l Theta_l[:, 1:], l = L..2:        2 m s_l s_(l-1)
//   gradients grad_l = d_l^T A_(l-1), l = 1..L:              2 m s_l (s_(l-1) + 1)
// total = 4 m sum_l s_l (s_(l-1)+1) + 2 m sum_(l>=2) s_l s_(l-1). The elementwise work (sigmoid,
// cost terms, a(1-a), the update) is O(m sum s_l + P) and is not counted.
// Seed (m 5000, 400-25-10): 4*5000*10285 + 2*5000*250 = 208.2 MFLOP.
double iteration_flops(const Layout& layout, int m) {
    double forward = 0, deltas = 0;
    for (int l = 1; l <= layout.layers(); ++l) {
        forward += 2.0 * m * layout.sizes[l] * (layout.sizes[l - 1] + 1.0);
        if (l >= 2) deltas += 2.0 * m * layout.sizes[l] * double(layout.sizes[l - 1]);
    }
    return 2.0 * forward + deltas;  // forward + gradients (same size) + deltas
}

// The least memory traffic of one iteration: X read once (m s0 elements; a fused implementation
// keeps each tile's activations and deltas on chip, so they need never reach memory), the labels
// once (m int32), the parameters read once and written once (2 P elements).
double minimum_bytes(const Layout& layout, int m, std::size_t element_bytes) {
    const double elements = double(m) * layout.inputs() + 2.0 * double(layout.parameter_count());
    return elements * double(element_bytes) + 4.0 * m;
}

std::string fixed(double value, int digits) {
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", digits, value);
    return text;
}

// ---------------------------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------------------------

struct Config {
    std::string name;    // "seed", "large"
    std::string source;  // what the data is, for labels
    Dataset data;
    Layout layout;
};

const Config& seed_config() {
    static const Config config = [] {
        const std::string path = std::string(DIGITNET_SOURCE_DIR) + "/data/digits20.mat";
        DataFile file = load_mat_data(path);
        Config c;
        c.name = "seed";
        c.source = "digits20 train set";
        c.layout = make_layout(file.train.features(), {25}, file.train.classes);
        c.data = std::move(file.train);
        return c;
    }();
    return config;
}

// The large configurations' data: Fashion-MNIST's training set, or a synthetic stand-in.
Config large_data() {
    Config c;
    // Debian's dataset-fashion-mnist: an IDX folder, read by the project's own loader.
    const std::string dir = "/usr/share/datasets/fashion-mnist";
    const std::string images = dir + "/train-images-idx3-ubyte.gz";
    std::error_code ec;
    if (std::filesystem::exists(images, ec)) {
        c.data = load_data(dir).train;
        c.source = "Fashion-MNIST train set";
    } else {
        // Synthetic stand-in of the same shape: pixels uniform in [0, 1), labels uniform 0..9.
        constexpr std::uint64_t kDataSeed = 20261124;
        std::mt19937_64 generator(kDataSeed);
        std::uniform_real_distribution<double> pixel(0.0, 1.0);
        std::uniform_int_distribution<int> label(0, 9);
        c.data.X = Matrix<double>(60000, 784);
        for (double& v : c.data.X.data) v = pixel(generator);
        c.data.labels.resize(60000);
        for (int& k : c.data.labels) k = label(generator);
        c.data.classes = 10;
        c.data.label_base = 0;
        c.data.image = ImageShape{28, 28, false};
        c.data.source = "synthetic";
        c.source = "SYNTHETIC random data (seed " + std::to_string(kDataSeed) + "; " + dir + " not found)";
    }
    return c;
}

const Config& large_config() {
    static const Config config = [] {
        Config c = large_data();
        c.name = "large";
        c.layout = make_layout(c.data.features(), {1024}, 10);
        return c;
    }();
    return config;
}

const Config& wide_config() {
    static const Config config = [] {
        Config c = large_data();
        c.name = "wide";
        c.layout = make_layout(c.data.features(), {4096, 4096}, 10);
        return c;
    }();
    return config;
}

// ---------------------------------------------------------------------------------------------
// Counters
// ---------------------------------------------------------------------------------------------

void report(benchmark::State& state, const Config& config, std::size_t element_bytes, double last_cost,
            const std::string& note = "") {
    const int m = config.data.examples();
    // Printed as FLOP=38.9G/s and min_bytes=1.5G/s (rates over the real time; the JSON output holds
    // FLOP/s and bytes/s).
    state.counters["FLOP"] =
        benchmark::Counter(iteration_flops(config.layout, m), benchmark::Counter::kIsIterationInvariantRate);
    state.counters["min_bytes"] = benchmark::Counter(minimum_bytes(config.layout, m, element_bytes),
                                                     benchmark::Counter::kIsIterationInvariantRate);
    state.counters["last_cost"] = last_cost;  // J of the last timed iteration: finite, and falling
    std::string label = config.source + ", " + std::to_string(m) + "x" + config.layout.describe();
    if (!note.empty()) label += ", " + note;
    state.SetLabel(label);
    if (!std::isfinite(last_cost)) state.SkipWithError("the cost is not finite");
}

// ---------------------------------------------------------------------------------------------
// Benchmarks
// ---------------------------------------------------------------------------------------------

// The CPU reference: J and its gradient by reference::cost_and_gradient, then Theta -= alpha grad.
void reference_iteration(benchmark::State& state, const Config& config) {
    Parameters theta = random_parameters(config.layout, kWeightSeed);
    Parameters gradient;
    double cost = 0.0;
    for (auto _ : state) {
        cost = reference::cost_and_gradient(theta, config.data, kLambda, &gradient);
        for (std::size_t j = 0; j < theta.values.size(); ++j) theta.values[j] -= kAlpha * gradient.values[j];
        benchmark::DoNotOptimize(theta.values.data());
    }
    report(state, config, sizeof(double), cost);
}

// The CPU backend: one run of its gradient-descent loop of one iteration per timed step (it
// computes J, the gradient and the update, as in training).
void cpu_iteration(benchmark::State& state, const Config& config, Precision precision) {
    auto backend = make_cpu_backend(precision, config.layout);
    backend->set_training_set(config.data);
    backend->set_parameters(random_parameters(config.layout, kWeightSeed));
    GradientDescentLoop& loop = *backend->gradient_descent_loop();
    const GradientDescentSteps one{1, kAlpha, kLambda};
    loop.run(one, {});  // warm-up: first touch of the buffers, BLAS threads
    double cost = 0.0;
    for (auto _ : state) cost = loop.run(one, {}).back();
    report(state, config, precision == Precision::Double ? sizeof(double) : sizeof(float), cost);
}

// The GPU backend, timed over chunks of `chunk` iterations (see the top of the file). The
// parameters are reset before each chunk, outside the timed part, so every chunk trains the
// same way from the same start.
void gpu_iterations(benchmark::State& state, const Config& config, Precision precision, int chunk,
                    CudaOptions cuda_options) {
    std::unique_ptr<Backend> backend;
    try {
        backend = make_cuda_backend(precision, config.layout, cuda_options);
        backend->set_training_set(config.data);
    } catch (const std::exception& e) {
        state.SkipWithError(e.what());
        return;
    }
    const Parameters initial = random_parameters(config.layout, kWeightSeed);
    const GradientDescentSteps options{chunk, kAlpha, kLambda};
    GradientDescentLoop& loop = *backend->gradient_descent_loop();
    backend->set_parameters(initial);
    loop.run(options, {});  // warm-up: allocation, cuBLAS setup, graph capture
    double cost = 0.0;
    for (auto _ : state) {
        backend->set_parameters(initial);
        const auto start = std::chrono::steady_clock::now();
        const std::vector<double> history = loop.run(options, {});  // synchronises at its end
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        state.SetIterationTime(seconds / double(chunk));
        cost = history.empty() ? NAN : history.back();
    }
    report(state, config, precision == Precision::Double ? sizeof(double) : sizeof(float), cost,
           backend->device_name() + ", time per iteration over chunks of " + std::to_string(chunk));
}

// Context lines: the floor of one configuration (FLOPs, minimum bytes in float and double).
void add_floor_context(const std::string& name, const Layout& layout, int m) {
    const std::string prefix = name + " (" + std::to_string(m) + "x" + layout.describe() + ") ";
    benchmark::AddCustomContext(prefix + "GEMM MFLOP per iteration", fixed(iteration_flops(layout, m) * 1e-6, 1));
    benchmark::AddCustomContext(prefix + "minimum MB per iteration (float / double)",
                                fixed(minimum_bytes(layout, m, sizeof(float)) * 1e-6, 2) + " / " +
                                    fixed(minimum_bytes(layout, m, sizeof(double)) * 1e-6, 2));
}

bool take_flag(int& argc, char** argv, const char* flag) {
    bool found = false;
    int kept = 1;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], flag) == 0)
            found = true;
        else
            argv[kept++] = argv[i];
    }
    argc = kept;
    return found;
}

}  // namespace

int main(int argc, char** argv) {
    const char* large_env = std::getenv("DIGITNET_BENCH_LARGE");
    const bool large_on_cpu = take_flag(argc, argv, "--large") || (large_env && std::strcmp(large_env, "1") == 0);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

    const std::optional<GpuInfo> gpu = gpu_info();
    const Config& seed = seed_config();
    const bool need_large = large_on_cpu || gpu.has_value();

    benchmark::AddCustomContext("FLOP formula", "4 m sum_l s_l (s_(l-1)+1) + 2 m sum_(l>=2) s_l s_(l-1) (GEMMs only)");
    benchmark::AddCustomContext("minimum bytes formula",
                                "(m s0 + 2 P) * sizeof(T) + 4 m (X, parameters in and out, int32 labels)");
    add_floor_context("seed", seed.layout, seed.data.examples());
    add_floor_context("large", make_layout(784, {1024}, 10), 60000);
    add_floor_context("wide", make_layout(784, {4096, 4096}, 10), 60000);
    benchmark::AddCustomContext("BLAS", blas_name());
    benchmark::AddCustomContext(
        "GPU", gpu ? gpu->name + " (sm_" + std::to_string(gpu->compute_major) + std::to_string(gpu->compute_minor) + ")"
                   : std::string(cuda_compiled_in() ? "none found" : "CUDA not compiled in") +
                         ": GPU benchmarks not registered");
    benchmark::AddCustomContext("large on the CPU",
                                large_on_cpu ? "registered (--large)" : "not registered (pass --large)");

    using benchmark::kMicrosecond;
    using benchmark::kMillisecond;
    benchmark::RegisterBenchmark("reference/seed/double", reference_iteration, std::cref(seed))
        ->Iterations(3)
        ->UseRealTime()
        ->Unit(kMillisecond);
    constexpr Precision kAll[] = {Precision::Float, Precision::Double, Precision::Tf32, Precision::Bf16};
    for (Precision p : kAll)
        benchmark::RegisterBenchmark((std::string("cpu/seed/") + to_string(p)).c_str(), cpu_iteration, std::cref(seed),
                                     p)
            ->MinTime(1.0)
            ->UseRealTime()
            ->Unit(kMillisecond);
    if (need_large) {
        const Config& large = large_config();
        benchmark::AddCustomContext("large data", large.source);
        if (large_on_cpu)
            for (Precision p : kAll)
                benchmark::RegisterBenchmark((std::string("cpu/large/") + to_string(p)).c_str(), cpu_iteration,
                                             std::cref(large), p)
                    ->Iterations(2)
                    ->UseRealTime()
                    ->Unit(kMillisecond);
        if (gpu)
            for (Precision p : {Precision::Float, Precision::Double}) {
                // The default path, then each path by name (fused kernels; cuBLAS and per-step kernels).
                for (const auto& [suffix, path] :
                     {std::pair{"", OneHiddenLayerPath::Automatic}, std::pair{"/fused", OneHiddenLayerPath::Fused},
                      std::pair{"/general", OneHiddenLayerPath::General}})
                    benchmark::RegisterBenchmark((std::string("gpu/seed/") + to_string(p) + suffix).c_str(),
                                                 gpu_iterations, std::cref(seed), p, 800,
                                                 CudaOptions{.one_hidden_layer = path})
                        ->UseManualTime()
                        ->Iterations(50)
                        ->Unit(kMicrosecond);
            }
        if (gpu) {
            // Iterations per CUDA graph (CudaOptions::iterations_per_graph, default 8, never measured
            // before): the fused (default in float) and the general path, whose ~10 launches an
            // iteration have the most gaps to save.
            for (const auto& [suffix, path] :
                 {std::pair{"", OneHiddenLayerPath::Automatic}, std::pair{"/general", OneHiddenLayerPath::General}})
                for (const int per_graph : {1, 8, 32, 128})
                    benchmark::RegisterBenchmark(
                        (std::string("gpu/seed/float") + suffix + "/graph" + std::to_string(per_graph)).c_str(),
                        gpu_iterations, std::cref(seed), Precision::Float, 800,
                        CudaOptions{.one_hidden_layer = path, .iterations_per_graph = per_graph})
                        ->UseManualTime()
                        ->Iterations(50)
                        ->Unit(kMicrosecond);
            for (Precision p : {Precision::Tf32, Precision::Bf16})
                benchmark::RegisterBenchmark((std::string("gpu/seed/") + to_string(p)).c_str(), gpu_iterations,
                                             std::cref(seed), p, 800, CudaOptions{})
                    ->UseManualTime()
                    ->Iterations(50)
                    ->Unit(kMicrosecond);
            for (Precision p : kAll)
                benchmark::RegisterBenchmark((std::string("gpu/large/") + to_string(p)).c_str(), gpu_iterations,
                                             std::cref(large), p, 20, CudaOptions{})
                    ->UseManualTime()
                    ->Iterations(10)
                    ->Unit(kMillisecond);
            // ~7 TFLOP an iteration: chunks of 5, 5 chunks (float ~1 s a chunk on an H100).
            const Config& wide = wide_config();
            for (Precision p : {Precision::Float, Precision::Tf32, Precision::Bf16})
                benchmark::RegisterBenchmark((std::string("gpu/wide/") + to_string(p)).c_str(), gpu_iterations,
                                             std::cref(wide), p, 5, CudaOptions{})
                    ->UseManualTime()
                    ->Iterations(5)
                    ->Unit(kMillisecond);
        }
    }
#ifdef DIGITNET_HAVE_CUDA
    if (gpu) bench::register_cublas_benchmarks();
#endif

    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
