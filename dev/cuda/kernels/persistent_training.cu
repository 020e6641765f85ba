// Kernel and launchers for persistent_training.cuh.
#include <cooperative_groups.h>

#include <string>
#include <utility>

#include "cuda_check.hpp"
#include "one_hidden_layer_tile.cuh"
#include "persistent_indexing.hpp"
#include "persistent_training.cuh"

namespace digitnet::kernels {

namespace {

constexpr int kThreads = tile::kThreads;
static_assert(kThreads == kThreadsPerBlock, "block_sum (device_math.cuh) sums kThreadsPerBlock threads");

// Blocks an SM should hold: 2 in float (two ~106 KiB blocks share an H100 SM's 228 KiB, and the
// balanced tiles of the fused path need them), so at most 128 registers a thread; 1 in double,
// whose ~210 KiB block fills an SM alone. Without it ptxas caps registers lower (80) and spills.
template <class T>
constexpr int kMinBlocksPerSm = sizeof(T) == sizeof(float) ? 2 : 1;

template <class T>
struct Arguments {
    int m, tile_rows, n, H, K, iterations;
    const T* a0;
    const T* Y;
    T* theta;
    T* grad;
    T* partials;
    double* cost_partials;
    double* square_partials;
    double* history;
    int* iteration;
    T inverse_m, lambda_over_m, alpha;
    double cost_scale, square_scale;  // 1/m and lambda/(2m)
    bool step;
};

// ---- kernel ----

// B blocks (all resident at once: a cooperative launch), each with the tiles b, b + B, ... of the
// m examples and the parameter slice [begin_b, end_b) (one_hidden_layer_indexing.hpp). For each
// of the iterations, in the notation of DESIGN.md:
//   phase A  every block: its tiles through tile::one_hidden_layer_tile (forward, output delta
//            and cost terms, hidden delta, both gradient products), Theta staged from global
//            memory: partials[b P + p] = sum over its examples of (d^T a)_p,
//            cost_partials[b] = its examples' cost terms, square_partials[b] = sum over its slice
//            of (mask .* Theta)_p^2 (mask 0 on bias columns), in double
//   grid barrier
//   phase B  block b, for p in its slice: total_p = sum over blocks b' of partials[b' P + p] in a
//            fixed order (group g of the block's threads adds b' = g, g + G, ...; then the G groups'
//            sums in group order: slice_sum_shape), then
//              grad_p = (lambda/m) (mask .* Theta)_p + (1/m) total_p
//              Theta_p -= alpha grad_p                      (when stepping)
//            block 0 also: J = (1/m) sum_b cost_partials[b] + lambda/(2m) sum_b square_partials[b]
//            (block_sum: a fixed order) into history[*iteration], ++*iteration
//   grid barrier (not after the last iteration)
// No float atomics (only grid.sync's own counter): every sum has a fixed order, so the same inputs
// on the same device give the same bits on every run. Each block writes only its own partials and
// its own slice of Theta and grad; phase A reads Theta only after the barrier that ends the
// previous phase B, and phase B reads the partials only after the barrier that ends phase A
// (grid.sync orders global memory; the partials are read with __ldcg, past the SM's L1).
//
// Compiled for sm_90 (nvcc 13.0 -O3 -Xptxas -v; not yet run on a GPU: dev/cuda/README.md: not
// yet measured): the seed's instance <float, 28> takes 125 registers a thread, no spills, 80
// bytes of static (block_sum) and 109,056 bytes of dynamic shared memory: 2 blocks an SM (both
// limits), 264 blocks of 19 examples on 132 SMs, 16 warps an SM (25% occupancy, the fused kernel's
// 2 blocks of 8 warps). <double, 28>: 196 registers, no spills, 215,552 bytes: 1 block an SM.
template <class T, int HP>
__global__ void __launch_bounds__(kThreads, kMinBlocksPerSm<T>) persistent_training_kernel(const Arguments<T> a) {
    namespace cg = cooperative_groups;
    const cg::grid_group grid = cg::this_grid();
    extern __shared__ __align__(16) unsigned char shared[];
    const SharedLayout layout = shared_layout(a.n, a.H, a.K, HP, sizeof(T));
    const tile::TileShared<T> s = tile::tile_shared<T>(shared, layout);
    T* slice_sums = reinterpret_cast<T*>(shared + persistent_slice_sums(layout));

    const int block = static_cast<int>(blockIdx.x);
    const int blocks = static_cast<int>(gridDim.x);
    const long long P1 = static_cast<long long>(a.H) * a.n;
    const long long P = parameter_count(a.n, a.H, a.K);
    const int tiles = tile_count(a.m, a.tile_rows);
    const ParameterSlice slice = parameter_slice(block, blocks, P);
    const SliceSumShape shape = slice_sum_shape(slice.end - slice.begin, kThreads);
    const int lane = static_cast<int>(threadIdx.x) % shape.width;
    const int group = static_cast<int>(threadIdx.x) / shape.width;
    T* block_partials = a.partials + static_cast<std::size_t>(block) * P;

    for (int it = 0; it < a.iterations; ++it) {
        // Phase A: the block's tiles, its cost terms and its slice's squares at the current Theta.
        tile::stage_theta2(s, a.theta + P1, a.K * (a.H + 1));
        double block_cost = 0.0;  // lane 0 of warp 0 only
        for (int i = 0; tile_of_block(block, blocks, i) < tiles; ++i) {
            const ExampleRange rows = tile_examples(tile_of_block(block, blocks, i), a.tile_rows, a.m);
            tile::one_hidden_layer_tile<T, HP>(s, rows.begin, rows.end - rows.begin, a.n, a.H, a.K, a.a0, a.Y, a.theta,
                                               block_partials, i == 0, block_cost);
        }
        double square = 0.0;
        for (long long p = slice.begin + threadIdx.x; p < slice.end; p += kThreads) {
            const T regularized = is_bias_parameter(p, a.n, a.H) ? T(0) : a.theta[p];
            square += static_cast<double>(regularized) * static_cast<double>(regularized);
        }
        const double square_total = block_sum(square);
        if (threadIdx.x == 0) {
            a.cost_partials[block] = block_cost;
            a.square_partials[block] = square_total;
        }
        grid.sync();

        // Phase B: the slice's gradient, summed over the blocks in a fixed order, and the step.
        for (long long base = slice.begin; base < slice.end; base += shape.width) {
            const long long p = base + lane;
            if (group < shape.groups && p < slice.end) {
                T sum = T(0);
#pragma unroll 8
                for (int b = group; b < blocks; b += shape.groups)
                    sum += __ldcg(a.partials + static_cast<std::size_t>(b) * P + p);
                slice_sums[group * shape.width + lane] = sum;
            }
            __syncthreads();
            if (group == 0 && p < slice.end) {
                T total = T(0);
                for (int g = 0; g < shape.groups; ++g) total += slice_sums[g * shape.width + lane];
                const T theta = a.theta[p];
                const T regularization = a.lambda_over_m * (is_bias_parameter(p, a.n, a.H) ? T(0) : theta);
                const T gradient = regularization + a.inverse_m * total;
                a.grad[p] = gradient;
                if (a.step) a.theta[p] = theta - a.alpha * gradient;
            }
            __syncthreads();  // slice_sums is rewritten by the next chunk
        }
        if (block == 0) {
            double cost = 0.0;
            double squares = 0.0;
            for (int b = static_cast<int>(threadIdx.x); b < blocks; b += kThreads) {
                cost += __ldcg(a.cost_partials + b);
                squares += __ldcg(a.square_partials + b);
            }
            const double cost_total = block_sum(cost);
            __syncthreads();  // block_sum's shared storage is reused by the second sum
            const double squares_total = block_sum(squares);
            if (threadIdx.x == 0) {
                const int at = *a.iteration;
                a.history[at] = a.cost_scale * cost_total + a.square_scale * squares_total;
                *a.iteration = at + 1;
            }
        }
        if (it + 1 < a.iterations) grid.sync();
    }
}

}  // namespace

// ---- launchers ----

std::size_t PersistentTrainingPlan::partial_count() const {
    return static_cast<std::size_t>(tiles.resident_blocks) *
           static_cast<std::size_t>(parameter_count(tiles.inputs, tiles.hidden, tiles.classes));
}

template <class T>
PersistentTrainingPlan plan_persistent_training(int inputs, int hidden, int classes) {
    PersistentTrainingPlan plan;
    plan.tiles.inputs = inputs;
    plan.tiles.hidden = hidden;
    plan.tiles.classes = classes;
    const ShapePlan shape = plan_shape(inputs, hidden, classes, sizeof(T));
    if (shape.reason != nullptr) {
        plan.unavailable = std::string("the network has ") + shape.reason;
        return plan;
    }
    plan.tiles.hidden_padded = shape.hidden_padded;
    const std::size_t bytes = persistent_shared_bytes(inputs, hidden, classes, sizeof(T));
    plan.tiles.shared_bytes = bytes;
    int device = 0;
    CUDA_CHECK(cudaGetDevice(&device));
    int cooperative = 0;
    int shared_limit = 0;
    int multiprocessors = 0;
    CUDA_CHECK(cudaDeviceGetAttribute(&cooperative, cudaDevAttrCooperativeLaunch, device));
    CUDA_CHECK(cudaDeviceGetAttribute(&shared_limit, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
    CUDA_CHECK(cudaDeviceGetAttribute(&multiprocessors, cudaDevAttrMultiProcessorCount, device));
    if (cooperative == 0) {
        plan.unavailable = "the GPU does not support cooperative launches (cudaDevAttrCooperativeLaunch is 0)";
        return plan;
    }
    if (!shape.fits(bytes, static_cast<std::size_t>(shared_limit))) {
        plan.unavailable = "a block needs " + std::to_string(bytes) + " bytes of shared memory, the GPU offers " +
                           std::to_string(shared_limit);
        return plan;
    }
    const auto [per_sm, registers] = tile::with_padded_width(plan.tiles.hidden_padded, [&](auto width) {
        const auto kernel = persistent_training_kernel<T, decltype(width)::value>;
        CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                        static_cast<int>(plan.tiles.shared_bytes)));
        int blocks = 0;
        CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, kernel, kThreads, plan.tiles.shared_bytes));
        cudaFuncAttributes attributes{};
        CUDA_CHECK(cudaFuncGetAttributes(&attributes, kernel));
        return std::pair<int, int>{blocks, attributes.numRegs};
    });
    plan.blocks_per_sm = per_sm;
    plan.registers = registers;
    if (per_sm <= 0) {
        plan.unavailable = "no block of the persistent kernel fits on a multiprocessor (" + std::to_string(registers) +
                           " registers a thread, " + std::to_string(plan.tiles.shared_bytes) +
                           " bytes of shared memory)";
        return plan;
    }
    plan.tiles.resident_blocks = per_sm * multiprocessors;
    return plan;
}

template <class T>
void persistent_training(const PersistentTrainingPlan& plan, const PersistentTrainingRun<T>& run, cudaStream_t stream) {
    if (!plan.usable()) throw DeviceError("persistent_training: it cannot run here: " + plan.unavailable);
    if (run.m <= 0 || run.iterations <= 0) return;
    const OneHiddenLayerPlan& tiles = plan.tiles;
    Arguments<T> arguments{};
    arguments.m = run.m;
    arguments.tile_rows = tiles.tile_rows(run.m);
    arguments.n = tiles.inputs;
    arguments.H = tiles.hidden;
    arguments.K = tiles.classes;
    arguments.iterations = run.iterations;
    arguments.a0 = run.a0;
    arguments.Y = run.Y;
    arguments.theta = run.theta;
    arguments.grad = run.grad;
    arguments.partials = run.partials;
    arguments.cost_partials = run.cost_partials;
    arguments.square_partials = run.square_partials;
    arguments.history = run.history;
    arguments.iteration = run.iteration;
    arguments.inverse_m = static_cast<T>(1.0 / run.m);
    arguments.lambda_over_m = static_cast<T>(run.lambda / run.m);
    arguments.alpha = static_cast<T>(run.alpha);
    arguments.cost_scale = 1.0 / run.m;
    arguments.square_scale = run.lambda / (2.0 * run.m);
    arguments.step = run.step;
    void* parameters[] = {&arguments};
    tile::with_padded_width(tiles.hidden_padded, [&](auto width) {
        const auto kernel = persistent_training_kernel<T, decltype(width)::value>;
        CUDA_CHECK(cudaLaunchCooperativeKernel(reinterpret_cast<const void*>(kernel), dim3(tiles.blocks(run.m)),
                                               dim3(kThreads), parameters, tiles.shared_bytes, stream));
    });
}

template PersistentTrainingPlan plan_persistent_training<float>(int, int, int);
template PersistentTrainingPlan plan_persistent_training<double>(int, int, int);
template void persistent_training<float>(const PersistentTrainingPlan&, const PersistentTrainingRun<float>&,
                                         cudaStream_t);
template void persistent_training<double>(const PersistentTrainingPlan&, const PersistentTrainingRun<double>&,
                                          cudaStream_t);

}  // namespace digitnet::kernels
