// The NCCL sum alone, as the CUDA backend's data-parallel gd iteration makes it (DeviceSum, the
// gradient in the network's type and 3 doubles, one grouped operation): its latency on ONE GPU,
// one process, for the parameter counts of the networks in bench/RESULTS.md, called eagerly (each
// call waited for) and replayed from a CUDA graph of kInGraph calls (as the training loop does).
// With one process NCCL moves no data between GPUs: this is the fixed cost of the call, the floor
// under the model of N-GPU scaling in bench/RESULTS.md. Run by scripts/gpu_check.sh nccl:
//   build/bench/digitnet_bench_nccl_allreduce
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <vector>

#include "cuda/cuda_handles.hpp"
#include "cuda/device_buffer.hpp"
#include "cuda_check.hpp"
#include "digitnet/cuda/cuda_backend.hpp"
#include "digitnet/distributed/mpi_session.hpp"
#include "digitnet/distributed/nccl_communicator.hpp"

namespace {

using digitnet::cuda::DeviceBuffer;

constexpr int kWarmUp = 20;
constexpr int kSamples = 200;
constexpr int kInGraph = 100;

struct Network {
    const char* name;
    int parameters;
};

// The time between two recorded events, in microseconds.
float microseconds(cudaEvent_t start, cudaEvent_t stop) {
    float ms = 0.0f;
    CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    return ms * 1000.0f;
}

template <class T>
void measure(digitnet::DeviceSum& sum, const Network& network, const char* type, cudaStream_t stream) {
    const auto count = static_cast<std::size_t>(network.parameters);
    DeviceBuffer<T> values(count, "the summed values");
    DeviceBuffer<double> scalars(3, "the summed scalars");
    values.fill_zero(stream);
    scalars.fill_zero(stream);
    // Timing events (make_event() makes ordering-only ones, without timing).
    cudaEvent_t timed[2] = {nullptr, nullptr};
    for (cudaEvent_t& event : timed) CUDA_CHECK(cudaEventCreate(&event));
    const digitnet::cuda::Event first(timed[0]), second(timed[1]);

    std::vector<float> eager;
    for (int i = 0; i < kWarmUp + kSamples; ++i) {
        CUDA_CHECK(cudaEventRecord(first.get(), stream));
        sum.sum_on_device(values.data(), count, scalars.data(), 3, stream);
        CUDA_CHECK(cudaEventRecord(second.get(), stream));
        CUDA_CHECK(cudaEventSynchronize(second.get()));
        if (i >= kWarmUp) eager.push_back(microseconds(first.get(), second.get()));
    }
    std::sort(eager.begin(), eager.end());

    CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
    for (int i = 0; i < kInGraph; ++i) sum.sum_on_device(values.data(), count, scalars.data(), 3, stream);
    cudaGraph_t raw = nullptr;
    CUDA_CHECK(cudaStreamEndCapture(stream, &raw));
    const digitnet::cuda::Graph graph(raw);
    cudaGraphExec_t raw_exec = nullptr;
    CUDA_CHECK(cudaGraphInstantiate(&raw_exec, graph.get(), 0));
    const digitnet::cuda::GraphExec exec(raw_exec);
    CUDA_CHECK(cudaGraphLaunch(exec.get(), stream));  // warm-up
    std::vector<float> replayed;
    for (int i = 0; i < 20; ++i) {
        CUDA_CHECK(cudaEventRecord(first.get(), stream));
        CUDA_CHECK(cudaGraphLaunch(exec.get(), stream));
        CUDA_CHECK(cudaEventRecord(second.get(), stream));
        CUDA_CHECK(cudaEventSynchronize(second.get()));
        replayed.push_back(microseconds(first.get(), second.get()) / kInGraph);
    }
    std::sort(replayed.begin(), replayed.end());
    std::printf("%-14s %10d %-7s %12.2f %12.2f %14.2f\n", network.name, network.parameters, type,
                eager[eager.size() / 2], eager.front(), replayed[replayed.size() / 2]);
}

}  // namespace

int main() {
    const auto gpu = digitnet::gpu_info();
    if (!gpu) {
        std::printf("digitnet_bench_nccl_allreduce: no GPU: nothing measured\n");
        return 0;
    }
    try {
        auto single = digitnet::make_single_process_communicator();
        auto nccl = digitnet::make_nccl_communicator(*single);
        const digitnet::cuda::Stream stream = digitnet::cuda::make_stream();
        std::printf("NCCL %s on %s, 1 process: grouped allreduce (SUM) of P values + 3 doubles\n",
                    digitnet::nccl_version().c_str(), gpu->name.c_str());
        std::printf("%-14s %10s %-7s %12s %12s %14s\n", "network", "parameters", "type", "eager_med_us", "eager_min_us",
                    "in_graph_us");
        // The seed (400-25-10), Fashion-MNIST gd (784-256-10), the large config (784-1024-10).
        const Network networks[] = {{"400-25-10", 25 * 401 + 10 * 26},
                                    {"784-256-10", 256 * 785 + 10 * 257},
                                    {"784-1024-10", 1024 * 785 + 10 * 1025}};
        for (const Network& network : networks) {
            measure<float>(*nccl, network, "float", stream.get());
            measure<double>(*nccl, network, "double", stream.get());
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "digitnet_bench_nccl_allreduce: %s\n", e.what());
        return 1;
    }
    return 0;
}
