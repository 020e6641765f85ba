// The C++ baseline of the Python module's per-call overhead (bench/python_overhead.py): what one
// digitnet.cost_and_gradient call asks of the core, with no Python around it.
//   cpu/call100/<precision>/attach+evaluate   a backend made for the call, the 100-example batch
//                                             attached, the parameters set, J and its gradient
//                                             (the work the binding does per call)
//   cpu/call100/<precision>/evaluate          J and its gradient on a backend that keeps the batch
// The batch is every 50th training example of the embedded digits, as in the Python benchmark.
// Registered at start-up (static registration), beside bench_iteration.cpp's rows.
#include <benchmark/benchmark.h>

#include "digitnet/io/data_loader.hpp"
#include "digitnet/train/trainer.hpp"

namespace {

using namespace digitnet;

struct Call {
    Dataset batch;
    Parameters at;
};

const Call& call100() {
    static const Call call = [] {
        const Dataset all = load_data(DIGITNET_SOURCE_DIR "/data/digits20.mat").train;
        Call c;
        c.batch = all;
        c.batch.X = Matrix<double>(100, all.features());
        c.batch.labels.clear();
        for (int i = 0; i < 100; ++i) {
            std::copy(all.X.row(50 * i), all.X.row(50 * i) + all.features(), c.batch.X.row(i));
            c.batch.labels.push_back(all.labels[50 * static_cast<std::size_t>(i)]);
        }
        c.at = random_parameters(make_layout(all.features(), {25}, all.classes), 1);
        return c;
    }();
    return call;
}

void attach_and_evaluate(benchmark::State& state, Precision precision) {
    const Call& call = call100();
    Parameters gradient;
    for (auto _ : state) {
        auto backend = make_backend(Device::Cpu, precision, call.at.layout, call.batch);
        backend->set_parameters(call.at);
        benchmark::DoNotOptimize(backend->cost_and_gradient(1.0, &gradient));
    }
}

void evaluate(benchmark::State& state, Precision precision) {
    const Call& call = call100();
    auto backend = make_backend(Device::Cpu, precision, call.at.layout, call.batch);
    Parameters gradient;
    for (auto _ : state) {
        backend->set_parameters(call.at);
        benchmark::DoNotOptimize(backend->cost_and_gradient(1.0, &gradient));
    }
}

const bool registered = [] {
    for (Precision p : {Precision::Float, Precision::Double}) {
        const std::string prefix = std::string("cpu/call100/") + to_string(p);
        benchmark::RegisterBenchmark((prefix + "/attach+evaluate").c_str(), attach_and_evaluate, p)
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark((prefix + "/evaluate").c_str(), evaluate, p)
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
    }
    return true;
}();

}  // namespace
