// digitnet_bench_augment: what augmentation costs (issue 22 item 3, bench/log/2026-12-02-augment.md).
//
//   augment/<data>/threads:<t>     one epoch of augmented copies (Augmenter::augment_epoch,
//                                  default AugmentOptions) on t threads
//   train/<data>/plain             one epoch of Adam (batch 128, lr 1e-3) on the CPU backend, the
//                                  training set attached before it (as every augmented epoch is)
//   train/<data>/producer:<t>      the same epoch on an augmented copy, while AugmentedEpochs makes
//                                  the next one beside it on t worker threads: attach + train +
//                                  next() (waiting for the next copy if it is late); nice19: the
//                                  worker at the lowest priority (the default), nice0: at the caller's
//
// Data: digits20 (5000 20x20, 400-25-10 sigmoid) and Fashion-MNIST (60000 28x28 from
// /usr/share/datasets/fashion-mnist, Debian's dataset-fashion-mnist; 784-128-10 relu softmax);
// the Fashion-MNIST rows are registered only when it is there. Times are wall-clock (UseRealTime):
// the CPU backend trains on its own threads.
//
// Usage: digitnet_bench_augment [--benchmark_filter=REGEX] [--benchmark_repetitions=N] ...
#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>
#include <string>

#include "digitnet/augment/augmented_epochs.hpp"
#include "digitnet/augment/augmenter.hpp"
#include "digitnet/io/data_loader.hpp"
#include "digitnet/train/trainer.hpp"

namespace {

using namespace digitnet;

constexpr const char* kFashionMnist = "/usr/share/datasets/fashion-mnist";

struct BenchData {
    std::string name;
    Dataset train;
    Layout layout;
};

BenchData digits20() {
    Dataset train = load_data(std::string(DIGITNET_SOURCE_DIR) + "/data/digits20.mat").train;
    Layout layout = make_layout(train.features(), {25}, 10);
    return {"digits20", std::move(train), layout};
}

BenchData fashion_mnist() {
    Dataset train = load_data(kFashionMnist).train;
    Layout layout = make_layout(train.features(), {128}, 10, Activation::Relu, Output::Softmax);
    return {"fashion-mnist", std::move(train), layout};
}

TrainingPlan one_adam_epoch() {
    TrainingPlan plan;
    plan.optimizer = Optimizer::Adam;
    plan.minibatch.epochs = 1;
    plan.minibatch.batch = 128;
    plan.minibatch.learning_rate = 1e-3;
    return plan;
}

void augment_epoch(benchmark::State& state, const BenchData* data, int threads) {
    const Augmenter augmenter(data->train, AugmentOptions{}, 1);
    Dataset out;
    int epoch = 0;
    for (auto _ : state) augmenter.augment_epoch(epoch++, out, threads);
    state.counters["examples/s"] =
        benchmark::Counter(double(data->train.examples()), benchmark::Counter::kIsIterationInvariantRate);
}

void train_plain(benchmark::State& state, const BenchData* data) {
    std::unique_ptr<Backend> backend = make_backend(Device::Cpu, Precision::Float, data->layout, data->train);
    backend->set_parameters(random_parameters(data->layout, 1));
    const TrainingPlan plan = one_adam_epoch();
    for (auto _ : state) {
        backend->set_training_set(data->train);
        run_training(*backend, plan);
    }
    state.SetLabel(backend->device_name());
}

void train_with_producer(benchmark::State& state, const BenchData* data, int threads, bool lowest_priority) {
    std::unique_ptr<Backend> backend = make_backend(Device::Cpu, Precision::Float, data->layout, data->train);
    backend->set_parameters(random_parameters(data->layout, 1));
    const TrainingPlan plan = one_adam_epoch();
    AugmentedEpochs epochs(data->train, AugmentOptions{}, 1, threads, lowest_priority);
    // Epoch 0 was made before any training: the steady state is epoch e + 1 made beside epoch e.
    const Dataset* current = &epochs.next();
    for (auto _ : state) {
        backend->set_training_set(*current);
        run_training(*backend, plan);
        current = &epochs.next();
    }
    state.SetLabel(backend->device_name());
}

void register_rows(const BenchData* data, int training_iterations) {
    for (int threads : {1, 2})
        benchmark::RegisterBenchmark(("augment/" + data->name + "/threads:" + std::to_string(threads)).c_str(),
                                     augment_epoch, data, threads)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
    benchmark::RegisterBenchmark(("train/" + data->name + "/plain").c_str(), train_plain, data)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->Iterations(training_iterations);
    for (int threads : {1, 2})
        for (bool lowest : {true, false})
            benchmark::RegisterBenchmark(
                ("train/" + data->name + "/producer:" + std::to_string(threads) + (lowest ? "/nice19" : "/nice0"))
                    .c_str(),
                train_with_producer, data, threads, lowest)
                ->Unit(benchmark::kMillisecond)
                ->UseRealTime()
                ->Iterations(training_iterations);
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    const BenchData small = digits20();
    register_rows(&small, 20);
    std::unique_ptr<BenchData> large;
    if (std::filesystem::exists(kFashionMnist)) {
        large = std::make_unique<BenchData>(fashion_mnist());
        register_rows(large.get(), 3);
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
