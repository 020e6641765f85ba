// The CUDA backend (cuda_backend.hpp): cuBLAS GEMMs plus the fused kernels of kernels/, in float or
// double, for any number of hidden layers. Compiled only when CMake found nvcc; a CPU-only build
// links host/cuda/cuda_unavailable.cpp instead.
//
// Where things live. The training set is uploaded once: X as A0 = [1, X] (the bias column is
// prepended on the device) and the labels as the one-hot Y. The parameters stay on the device
// between calls, in the flat layout of layout.hpp (all Thetas packed, each row-major), and so does
// the gradient. Every buffer is row-major, one example a row:
//   a[0] = A0       (m, s0 + 1)        a[l] (m, s_l + 1) for hidden l, bias in column 0
//   z_out           (m, K)             z_L
//   delta[l]        (m, s_l)           d_l, l = 1..L
//   theta, grad     all Thetas, flat
// These per-example buffers (activations, Y, deltas, cost partials, and the GEMM scalars {0, 1, 1/m})
// make up an ExampleSet. There are two: train_, the whole training set, and batch_, a mini-batch
// for cost_and_gradient_on. batch_ is allocated for the largest batch seen so far and reused (a
// smaller batch uses a prefix of each buffer, and its own m and 1/m), so a training run with a fixed
// batch size allocates once. A mini-batch call is one upload (1/m and the row indices, packed into
// one pinned buffer), gather_rows copies the chosen rows of A0 and Y from train_ into batch_ on the
// device, the same cost/gradient steps run on batch_, and one download brings back J and the
// gradient.
//
// How cuBLAS sees them. cuBLAS is column-major: a row-major r x c matrix with row stride c is, to
// cuBLAS, its transpose (c x r) with leading dimension c. So every product below is computed
// transposed, (P Q)^T = Q^T P^T, and the flags follow from that; each GEMM call works it out. The
// layout is chosen so that no GEMM needs a transposed copy of a big matrix: X is read as uploaded
// (as A0^T, column-major), every activation and delta is written where the next step reads it,
// and the forward GEMM writes z_l straight into a_l[:, 1:] (leading dimension s_l + 1), so the
// hidden-layer kernel only applies the sigmoid and sets the bias column.
//
// One training iteration (gradient_descent), L = 2 (the seed's network), is 11 launches of ours on
// the general path (cuBLAS may add split-K reduction kernels to a GEMM):
//   main stream:  GEMM z1 -> sigmoid_prepend_bias -> GEMM z2 -> output_delta_cost
//                 -> GEMM grad2 -> GEMM d1 -> sigmoid_gradient_delta -> GEMM grad1
//                 -> gradient_descent_update
//   side branch:  regularized_gradient_init (with the forward pass)
//                 -> regularized_cost (after output_delta_cost, beside the back-propagation)
// (each further hidden layer adds 4: forward GEMM, sigmoid_prepend_bias, delta GEMM,
// sigmoid_gradient_delta, plus its gradient GEMM). A network with one hidden layer of at most 32
// units and at most 32 classes may take the fused path instead (CudaOptions, by default in float):
//   main stream:  one_hidden_layer_gradient_partials -> sum_gradient_partials (+ the update)
//   side branch:  regularized_gradient_init, regularized_cost, as above
// (on an H100 the seed's iteration takes 26.4 us that way against 57 us through cuBLAS, whose
// split-K kernels for its thin shapes add their own reduction launches; bench/RESULTS.md).
// The iteration is captured once as a CUDA graph
// (kIterationsPerGraph iterations a graph) and replayed; the cost goes into a device history
// array that is copied back at the end. The host waits only once per chunk of iterations (about
// kChunkSeconds of work), to report progress and look at the stop flag.
#include "digitnet/cuda/cuda_backend.hpp"

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "cuda_check.hpp"
#include "cuda_handles.hpp"
#include "device_buffer.hpp"
#include "digitnet/errors.hpp"
#include "gather_rows.cuh"
#include "gradient_descent_update.cuh"
#include "one_hidden_layer_gradient.cuh"
#include "one_hot.cuh"
#include "output_delta_cost.cuh"
#include "output_sigmoid.cuh"
#include "prepend_bias.cuh"
#include "regularized_cost.cuh"
#include "regularized_gradient_init.cuh"
#include "sigmoid_gradient_delta.cuh"
#include "sigmoid_prepend_bias.cuh"

namespace digitnet {

namespace {

using cuda::DeviceBuffer;
using cuda::PinnedBuffer;

// Iterations captured into one CUDA graph: replaying a graph of several iterations saves the gap
// between graph launches. Not yet measured on a GPU: 1 is the plain choice, 8 the guess.
constexpr int kIterationsPerGraph = 8;
// Work queued between two looks at progress and the stop flag; at most two chunks are in flight.
constexpr double kChunkSeconds = 0.1;
constexpr int kFirstChunk = 32;
constexpr int kMaxChunk = 1 << 16;
// on_progress is called at most this often (and once at the end).
constexpr auto kProgressInterval = std::chrono::milliseconds(250);
// cuBLAS workspace, set before any capture so that cuBLAS never allocates inside one (32 MiB is
// what NVIDIA recommends for Hopper).
constexpr std::size_t kCublasWorkspaceBytes = std::size_t{32} << 20;

// ---- the CUDA handles (RAII types in cuda_handles.hpp) ----

using cuda::Cublas;
using cuda::Event;
using cuda::Graph;
using cuda::GraphExec;
using cuda::make_stream;
using cuda::Stream;

// Events used only for ordering (fork/join) skip timing, which makes them cheaper. The host waits
// on the chunk events with blocking_sync: it sleeps instead of spinning a core for ~100 ms, and the
// later wake-up costs nothing because the next chunk is already queued on the GPU.
Event make_event(bool blocking_sync = false) {
    cudaEvent_t event = nullptr;
    CUDA_CHECK(cudaEventCreateWithFlags(&event, cudaEventDisableTiming | (blocking_sync ? cudaEventBlockingSync : 0u)));
    return Event(event);
}

// ---- cuBLAS in float and double ----

cublasStatus_t gemm(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n,
                    int k, const float* alpha, const float* A, int lda, const float* B, int ldb,
                    const float* beta, float* C, int ldc) {
    return cublasSgemm(handle, transa, transb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}
cublasStatus_t gemm(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n,
                    int k, const double* alpha, const double* A, int lda, const double* B, int ldb,
                    const double* beta, double* C, int ldc) {
    return cublasDgemm(handle, transa, transb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

// ---- which GPU ----

struct UsableDevice {
    int ordinal = 0;
    GpuInfo info;
};

// The first device that answers: properties readable, not prohibited, memory query works (which
// creates its context). Never throws: no driver, no device, or a broken one all mean "none".
std::optional<UsableDevice> first_usable_device() {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess) {
        cudaGetLastError();
        return std::nullopt;
    }
    int previous = -1;
    if (cudaGetDevice(&previous) != cudaSuccess) {
        cudaGetLastError();
        previous = -1;
    }
    std::optional<UsableDevice> found;
    for (int ordinal = 0; ordinal < count && !found; ++ordinal) {
        cudaDeviceProp properties{};
        if (cudaGetDeviceProperties(&properties, ordinal) != cudaSuccess) {
            cudaGetLastError();
            continue;
        }
        int compute_mode = cudaComputeModeDefault;
        if (cudaDeviceGetAttribute(&compute_mode, cudaDevAttrComputeMode, ordinal) == cudaSuccess &&
            compute_mode == cudaComputeModeProhibited)
            continue;
        std::size_t free_bytes = 0;
        std::size_t total_bytes = 0;
        if (cudaSetDevice(ordinal) != cudaSuccess || cudaMemGetInfo(&free_bytes, &total_bytes) != cudaSuccess) {
            cudaGetLastError();
            continue;
        }
        found = UsableDevice{ordinal, GpuInfo{properties.name, properties.major, properties.minor,
                                              total_bytes, free_bytes}};
    }
    if (previous >= 0 && previous < count) cudaSetDevice(previous);
    cudaGetLastError();
    return found;
}

// ---- the backend ----

template <class T>
class CudaBackend final : public Backend {
public:
    CudaBackend(const UsableDevice& device, const Layout& layout, const Dataset& train, const CudaOptions& options);

    std::string device_name() const override { return name_; }
    Device device() const override { return Device::Gpu; }
    Precision precision() const override {
        return std::is_same_v<T, float> ? Precision::Float : Precision::Double;
    }
    const Layout& layout() const override { return layout_; }
    int examples() const override { return m_; }

    void set_parameters(const Parameters& parameters) override;
    Parameters parameters() const override;
    double cost_and_gradient(double lambda, Parameters* gradient) override;
    double cost_and_gradient_on(std::span<const int> rows, double lambda, Parameters* gradient) override;
    std::vector<double> gradient_descent(const GradientDescentOptions& options,
                                         const TrainingObserver& observer) override;
    Matrix<double> output(const Matrix<double>& X) override;

private:
    // The activations of one forward pass over `m` examples: a[0] = A0 .. a[L-1], and z_L.
    struct Activations {
        int m = 0;
        std::vector<DeviceBuffer<T>> a;
        DeviceBuffer<T> z_out;
    };
    Activations make_activations(int m) const;
    void upload_inputs(const Matrix<double>& X, Activations& activations);

    // Everything a cost-and-gradient pass over a set of examples writes or reads per example: the
    // training set (train_) or a mini-batch (batch_). The buffers hold `capacity` examples; the pass
    // uses the first m() of them.
    //   header: the GEMM scalars {0, 1, 1/m} in T (cuBLAS reads alpha and beta from the device),
    //           then, for a mini-batch, room for `capacity` row indices (int): both arrive in one
    //           upload. kScalarBytes is a multiple of alignof(int), so the indices are aligned.
    struct ExampleSet {
        int capacity = 0;
        Activations act;  // act.m = m, the examples in use (<= capacity)
        DeviceBuffer<T> Y;                   // (capacity, K), one-hot
        std::vector<DeviceBuffer<T>> delta;  // delta[l] (capacity, s_l), l = 1..L (delta[0] unused)
        DeviceBuffer<std::byte> header;
        DeviceBuffer<double> cost_partials;  // output_delta_cost_partials(capacity, K)

        int m() const { return act.m; }
        const T* scalars() const { return reinterpret_cast<const T*>(header.data()); }
        const T* inverse_m() const { return scalars() + 2; }
        int* rows() { return reinterpret_cast<int*>(header.data() + kScalarBytes); }
    };
    static constexpr std::size_t kScalarBytes = 3 * sizeof(T);
    static_assert(kScalarBytes % alignof(int) == 0, "the row indices follow the scalars in the header");
    ExampleSet make_example_set(int capacity, bool with_rows) const;
    void reserve_batch(int m);

    void use_device() const { CUDA_CHECK(cudaSetDevice(ordinal_)); }
    const T* theta(int l) const { return theta_.data() + layout_.theta_offset(l); }
    T* grad(int l) { return grad_.data() + layout_.theta_offset(l); }
    // 0 and 1 are the same in every set's header: the training set's serve every GEMM.
    const T* zero() const { return train_.scalars(); }
    const T* one() const { return train_.scalars() + 1; }

    // The steps of an iteration, enqueued on stream_ (and side_): usable eagerly and under capture.
    void enqueue_forward(Activations& activations);
    // With step_alpha, also Theta -= step_alpha grad (one iteration of gradient descent).
    void enqueue_cost_and_gradient(ExampleSet& set, double lambda, bool with_gradient, double* history,
                                   int* iteration, std::optional<double> step_alpha = std::nullopt);
    void enqueue_fused_cost_and_gradient(ExampleSet& set, double lambda, bool with_gradient, double* history,
                                         int* iteration, std::optional<double> step_alpha);
    void enqueue_regularization(double lambda, int m);
    void enqueue_cost(const double* cost_partials, int count, double lambda, int m, double* history, int* iteration);
    void enqueue_backward(ExampleSet& set);
    void enqueue_update(double alpha);
    // Queues the download of J (from probe_cost_) and, when gradient is not null, of grad_, waits
    // for the stream, and returns J (filling *gradient).
    double download_cost_and_gradient(Parameters* gradient);

    GraphExec capture_iterations(int count, double alpha, double lambda);
    void prepare_graphs(const GradientDescentOptions& options);
    void launch_iterations(int count);

    Layout layout_;
    int m_ = 0;
    int parameter_count_ = 0;
    int ordinal_ = 0;
    std::string name_;

    Stream stream_;  // everything runs here; cuBLAS is bound to it
    Stream side_;    // the regularisation branch of an iteration
    Event fork_, regularized_, cost_terms_, join_;
    Event chunk_done_[2];
    DeviceBuffer<std::byte> workspace_;  // declared before cublas_: the handle goes first
    Cublas cublas_;

    ExampleSet train_;  // the whole training set, uploaded once
    ExampleSet batch_;  // the current mini-batch; empty until cost_and_gradient_on
    int widest_row_ = 0;  // the most elements one example has in any per-example buffer
    PinnedBuffer<std::byte> batch_staging_;  // batch_.header's host side: {0, 1, 1/m} and the rows
    PinnedBuffer<T> gradient_staging_;       // the gradient's download target
    PinnedBuffer<double> cost_staging_;      // J's download target
    DeviceBuffer<T> theta_, grad_, mask_;
    DeviceBuffer<double> square_partials_;
    // The fused one-hidden-layer path (not usable: the general path): its per-block gradient
    // shares (resident_blocks x P) and cost shares.
    kernels::OneHiddenLayerPlan fused_;
    DeviceBuffer<T> fused_partials_;
    DeviceBuffer<double> fused_cost_partials_;
    DeviceBuffer<double> probe_cost_;  // where cost_and_gradient's J goes
    DeviceBuffer<int> iteration_;      // the regularized_cost kernel's write position
    DeviceBuffer<double> history_;     // gradient_descent's cost history, iterations entries
    PinnedBuffer<double> latest_cost_;  // one slot per chunk in flight

    // The captured iteration, valid for the options and history buffer it was captured with.
    struct Captured {
        double alpha = 0.0;
        double lambda = 0.0;
        const double* history = nullptr;
        GraphExec one, many;  // 1 and kIterationsPerGraph iterations
    } graphs_;
};

template <class T>
CudaBackend<T>::CudaBackend(const UsableDevice& device, const Layout& layout, const Dataset& train,
                            const CudaOptions& options)
    : layout_(layout), m_(train.examples()), ordinal_(device.ordinal) {
    const int L = layout_.layers();
    name_ = "gpu (" + device.info.name + ", sm_" + std::to_string(device.info.compute_major) +
            std::to_string(device.info.compute_minor) + ")";
    const std::size_t parameters = layout_.parameter_count();
    if (parameters > static_cast<std::size_t>(kernels::kMaxLinearElements))
        throw InputError("network " + layout_.describe() + " has too many parameters for the GPU backend");
    parameter_count_ = static_cast<int>(parameters);
    use_device();

    stream_ = make_stream();
    side_ = make_stream();
    fork_ = make_event();
    regularized_ = make_event();
    cost_terms_ = make_event();
    join_ = make_event();
    for (auto& event : chunk_done_) event = make_event(true);

    // cuBLAS: bound to stream_, then given its workspace (cublasSetStream resets the workspace, so
    // the order matters), scalars read from device memory, no atomics (deterministic results), and
    // the default math mode: full float/double GEMMs, no TF32 and no emulation, so that float
    // agrees with the double reference to 1e-4.
    cublasHandle_t handle = nullptr;
    CUBLAS_CHECK(cublasCreate(&handle));
    cublas_.reset(handle);
    CUBLAS_CHECK(cublasSetStream(handle, stream_.get()));
    workspace_ = DeviceBuffer<std::byte>(kCublasWorkspaceBytes, "the cuBLAS workspace");
    CUBLAS_CHECK(cublasSetWorkspace(handle, workspace_.data(), workspace_.bytes()));
    CUBLAS_CHECK(cublasSetPointerMode(handle, CUBLAS_POINTER_MODE_DEVICE));
    CUBLAS_CHECK(cublasSetAtomicsMode(handle, CUBLAS_ATOMICS_NOT_ALLOWED));
    CUBLAS_CHECK(cublasSetMathMode(handle, CUBLAS_DEFAULT_MATH));

    // The training set: A0 = [1, X] and the one-hot Y, built on the device, and its scalars.
    for (int l = 0; l <= L; ++l) widest_row_ = std::max(widest_row_, layout_.sizes[l] + (l < L ? 1 : 0));
    train_ = make_example_set(m_, false);
    upload_inputs(train.X, train_.act);
    {
        DeviceBuffer<int> labels(static_cast<std::size_t>(m_), "the labels");
        labels.upload(train.labels.data(), train.labels.size(), stream_.get());
        kernels::one_hot(m_, layout_.classes(), labels.data(), train_.Y.data(), stream_.get());
        const T scalars[3] = {T(0), T(1), static_cast<T>(1.0 / m_)};
        // Pageable source: the runtime stages it before returning, so `scalars` may go out of scope.
        CUDA_CHECK(cudaMemcpyAsync(train_.header.data(), scalars, kScalarBytes, cudaMemcpyHostToDevice,
                                   stream_.get()));
        CUDA_CHECK(cudaStreamSynchronize(stream_.get()));  // before `labels` is freed
    }

    // Parameters (zero until set_parameters), the gradient, and the regularisation mask: 0 on the
    // bias column of each Theta_l, 1 elsewhere.
    theta_ = DeviceBuffer<T>(parameters, "the parameters");
    grad_ = DeviceBuffer<T>(parameters, "the gradient");
    mask_ = DeviceBuffer<T>(parameters, "the regularisation mask");
    theta_.fill_zero(stream_.get());
    std::vector<T> mask(parameters, T(1));
    for (int l = 1; l <= L; ++l)
        for (int row = 0; row < layout_.theta_rows(l); ++row)
            mask[layout_.theta_offset(l) + static_cast<std::size_t>(row) * layout_.theta_cols(l)] = T(0);
    mask_.upload(mask.data(), mask.size(), stream_.get());

    square_partials_ = DeviceBuffer<double>(
        static_cast<std::size_t>(kernels::regularized_gradient_init_partials(parameter_count_)),
        "the regularisation partials");
    probe_cost_ = DeviceBuffer<double>(1, "the cost");
    iteration_ = DeviceBuffer<int>(1, "the iteration counter");
    latest_cost_ = PinnedBuffer<double>(2);
    // Pinned download targets: the copies of J and the gradient are true async DMA, and
    // cost_and_gradient(_on), called once per mini-batch, allocates nothing.
    gradient_staging_ = PinnedBuffer<T>(parameters);
    cost_staging_ = PinnedBuffer<double>(1);

    const bool want_fused = options.one_hidden_layer == OneHiddenLayerPath::Fused ||
                            (options.one_hidden_layer == OneHiddenLayerPath::Automatic && std::is_same_v<T, float>);
    if (want_fused && L == 2) {
        fused_ = kernels::plan_one_hidden_layer<T>(layout_.inputs() + 1, layout_.sizes[1], layout_.classes());
        if (fused_.usable()) {
            fused_partials_ = DeviceBuffer<T>(static_cast<std::size_t>(fused_.resident_blocks) * parameters,
                                              "the fused kernel's gradient shares");
            fused_cost_partials_ = DeviceBuffer<double>(static_cast<std::size_t>(fused_.resident_blocks),
                                                        "the fused kernel's cost shares");
            name_.insert(name_.size() - 1, ", fused");
        }
    }

    // Warm-up: one full iteration (update with alpha 0, which leaves Theta unchanged) loads every
    // kernel and lets cuBLAS pick its kernels now, outside any graph capture, and reports a build
    // without code for this GPU here rather than in the middle of training.
    iteration_.fill_zero(stream_.get());
    enqueue_cost_and_gradient(train_, 0.0, true, probe_cost_.data(), iteration_.data(), 0.0);
    CUDA_CHECK(cudaStreamSynchronize(stream_.get()));
}

template <class T>
typename CudaBackend<T>::Activations CudaBackend<T>::make_activations(int m) const {
    const int L = layout_.layers();
    Activations activations;
    activations.m = m;
    activations.a.reserve(static_cast<std::size_t>(L));
    for (int l = 0; l < L; ++l)
        activations.a.emplace_back(static_cast<std::size_t>(m) * (layout_.sizes[l] + 1), "a layer's activations");
    activations.z_out = DeviceBuffer<T>(static_cast<std::size_t>(m) * layout_.classes(), "the output layer");
    return activations;
}

// The buffers of an ExampleSet for `capacity` examples (act.m = capacity until a batch sets it);
// with_rows adds room for `capacity` row indices after the scalars. Nothing is uploaded here.
template <class T>
typename CudaBackend<T>::ExampleSet CudaBackend<T>::make_example_set(int capacity, bool with_rows) const {
    const int L = layout_.layers();
    const auto examples = static_cast<std::size_t>(capacity);
    ExampleSet set;
    set.capacity = capacity;
    set.act = make_activations(capacity);
    set.Y = DeviceBuffer<T>(examples * layout_.classes(), "the one-hot labels Y");
    set.delta.resize(static_cast<std::size_t>(L) + 1);
    for (int l = 1; l <= L; ++l) set.delta[l] = DeviceBuffer<T>(examples * layout_.sizes[l], "a layer's deltas");
    set.header = DeviceBuffer<std::byte>(kScalarBytes + (with_rows ? examples * sizeof(int) : 0),
                                         "the GEMM scalars and row indices");
    set.cost_partials = DeviceBuffer<double>(
        static_cast<std::size_t>(kernels::output_delta_cost_partials(capacity, layout_.classes())),
        "the cost partials");
    return set;
}

// Makes batch_ (and its pinned staging buffer) hold at least m examples. Grows only: a smaller batch
// uses a prefix, so steady-state mini-batch training allocates nothing. The old buffers are freed
// first (lower peak memory); no work on them is pending, as every call waits for its stream before
// returning (and cudaFree waits for the device besides).
template <class T>
void CudaBackend<T>::reserve_batch(int m) {
    if (m <= batch_.capacity) return;
    batch_ = ExampleSet{};
    batch_staging_ = PinnedBuffer<std::byte>{};
    batch_ = make_example_set(m, true);
    batch_staging_ = PinnedBuffer<std::byte>(kScalarBytes + static_cast<std::size_t>(m) * sizeof(int));
}

// X (m, s0) in double on the host -> a[0] = A0 = [1, X] (m, s0+1) in T on the device.
template <class T>
void CudaBackend<T>::upload_inputs(const Matrix<double>& X, Activations& activations) {
    DeviceBuffer<double> staging(X.size(), "the uploaded X");
    staging.upload(X.data.data(), X.size(), stream_.get());
    kernels::prepend_bias(X.rows, X.cols, staging.data(), activations.a[0].data(), stream_.get());
    CUDA_CHECK(cudaStreamSynchronize(stream_.get()));  // before `staging` is freed
}

// Forward propagation over activations.m examples, on stream_:
//   z_l = a_(l-1) Theta_l^T; a_l = [1, sigmoid(z_l)] for hidden l; z_L left in z_out.
template <class T>
void CudaBackend<T>::enqueue_forward(Activations& activations) {
    const int L = layout_.layers();
    const int m = activations.m;
    for (int l = 1; l <= L; ++l) {
        const int units = layout_.sizes[l];     // s_l
        const int inputs = layout_.sizes[l - 1] + 1;  // s_(l-1) + 1, with the bias unit
        const bool hidden = l < L;
        T* C = hidden ? activations.a[l].data() + 1 : activations.z_out.data();
        const int ldc = hidden ? units + 1 : units;
        // z_l = a_(l-1) Theta_l^T is (m x s_l) row-major, i.e. z_l^T (s_l x m) to cuBLAS, and
        // z_l^T = Theta_l a_(l-1)^T:
        //   A = Theta_l, row-major (s_l x s_(l-1)+1), is Theta_l^T to cuBLAS (lda = s_(l-1)+1):
        //       transa = T gives Theta_l (M = s_l rows, K = s_(l-1)+1).
        //   B = a_(l-1), row-major (m x s_(l-1)+1), is a_(l-1)^T to cuBLAS (ldb = s_(l-1)+1):
        //       transb = N (K x N = s_(l-1)+1 x m), read as stored: X is never transposed.
        //   C = z_l^T (s_l x m). A hidden layer writes it into a_l[:, 1:] (ldc = s_l + 1, one element
        //       in), so sigmoid_prepend_bias finishes a_l in place; the output layer into z_out (ldc = K).
        CUBLAS_CHECK(gemm(cublas_.get(), CUBLAS_OP_T, CUBLAS_OP_N, units, m, inputs, one(), theta(l), inputs,
                          activations.a[l - 1].data(), inputs, zero(), C, ldc));
        if (hidden) kernels::sigmoid_prepend_bias(m, units, activations.a[l].data(), stream_.get());
    }
}

// J over the examples of `set` (m = set.m()) at the current Theta into history[*iteration] (then
// ++*iteration), and, with_gradient, the gradient into grad_. The regularisation runs on a side
// branch beside the forward pass:
//   stream_: forward ......... output_delta_cost ── (wait regularized) backward ── (wait join)
//   side_:   regularized_gradient_init ── (wait cost_terms) regularized_cost ──┘
template <class T>
void CudaBackend<T>::enqueue_cost_and_gradient(ExampleSet& set, double lambda, bool with_gradient,
                                               double* history, int* iteration, std::optional<double> step_alpha) {
    if (fused_.usable()) {
        enqueue_fused_cost_and_gradient(set, lambda, with_gradient, history, iteration, step_alpha);
        return;
    }
    const int L = layout_.layers();
    const int K = layout_.classes();
    const int m = set.m();

    enqueue_regularization(lambda, m);
    enqueue_forward(set.act);
    kernels::output_delta_cost(m, K, set.act.z_out.data(), set.Y.data(), set.delta[L].data(),
                               set.cost_partials.data(), stream_.get());
    // Only the partials of the m examples in use: a batch's buffer may be longer (its prefix is used).
    enqueue_cost(set.cost_partials.data(), kernels::output_delta_cost_partials(m, K), lambda, m, history, iteration);
    if (with_gradient) enqueue_backward(set);
    CUDA_CHECK(cudaStreamWaitEvent(stream_.get(), join_.get(), 0));
    if (step_alpha) enqueue_update(*step_alpha);
}

// The start of the side branch: side_ forks from stream_ and computes the regularisation term of
// the gradient (into grad_) and the squares for the cost, at the current Theta.
template <class T>
void CudaBackend<T>::enqueue_regularization(double lambda, int m) {
    CUDA_CHECK(cudaEventRecord(fork_.get(), stream_.get()));
    CUDA_CHECK(cudaStreamWaitEvent(side_.get(), fork_.get(), 0));
    kernels::regularized_gradient_init(parameter_count_, theta_.data(), mask_.data(), static_cast<T>(lambda / m),
                                       grad_.data(), square_partials_.data(), side_.get());
    CUDA_CHECK(cudaEventRecord(regularized_.get(), side_.get()));
}

// The end of the side branch, once stream_ has queued the cost terms: side_ adds them and the
// regularisation into J = history[*iteration]; stream_ then waits for the regularisation term
// (the gradient builds on it) and, by join_, may wait for J.
template <class T>
void CudaBackend<T>::enqueue_cost(const double* cost_partials, int count, double lambda, int m, double* history,
                                  int* iteration) {
    CUDA_CHECK(cudaEventRecord(cost_terms_.get(), stream_.get()));
    CUDA_CHECK(cudaStreamWaitEvent(side_.get(), cost_terms_.get(), 0));
    kernels::regularized_cost(cost_partials, count, square_partials_.data(), static_cast<int>(square_partials_.size()),
                              1.0 / m, lambda / (2.0 * m), history, iteration, side_.get());
    CUDA_CHECK(cudaEventRecord(join_.get(), side_.get()));
    CUDA_CHECK(cudaStreamWaitEvent(stream_.get(), regularized_.get(), 0));
}

// The same pass for a network with one small hidden layer, in two launches on stream_ (the
// regularisation branch on side_ as above):
//   stream_: one_hidden_layer_gradient_partials ── (wait regularized) sum_gradient_partials ── (wait join)
//   side_:   regularized_gradient_init ── (wait cost_terms) regularized_cost ──┘
// sum_gradient_partials adds the blocks' shares, times 1/m, to grad_ (which holds the
// regularisation term by then) and, with step_alpha, takes the gradient-descent step. Without the
// gradient it is left out (the cost is the same number either way: the same kernel sums it).
template <class T>
void CudaBackend<T>::enqueue_fused_cost_and_gradient(ExampleSet& set, double lambda, bool with_gradient,
                                                     double* history, int* iteration,
                                                     std::optional<double> step_alpha) {
    const int m = set.m();
    const int blocks = fused_.blocks(m);

    enqueue_regularization(lambda, m);
    kernels::one_hidden_layer_gradient_partials(fused_, m, set.act.a[0].data(), set.Y.data(), theta_.data(),
                                                fused_partials_.data(), fused_cost_partials_.data(), stream_.get());
    enqueue_cost(fused_cost_partials_.data(), blocks, lambda, m, history, iteration);
    if (with_gradient)
        kernels::sum_gradient_partials(parameter_count_, blocks, fused_partials_.data(), static_cast<T>(1.0 / m),
                                       grad_.data(), static_cast<T>(step_alpha.value_or(0.0)),
                                       step_alpha ? theta_.data() : nullptr, stream_.get());
    CUDA_CHECK(cudaStreamWaitEvent(stream_.get(), join_.get(), 0));
}

// Back-propagation over the m = set.m() examples of `set`, from d_L (already in set.delta[L]) on
// stream_; grad_ already holds (lambda/m) [0, Theta_l[:, 1:]], to which each gradient GEMM adds with
// beta = 1. alpha = 1/m is the set's own device scalar.
template <class T>
void CudaBackend<T>::enqueue_backward(ExampleSet& set) {
    const int L = layout_.layers();
    const int m = set.m();
    for (int l = L; l >= 1; --l) {
        const int units = layout_.sizes[l];           // s_l
        const int inputs = layout_.sizes[l - 1] + 1;  // s_(l-1) + 1
        // grad_l += (1/m) d_l^T a_(l-1): grad_l is (s_l x s_(l-1)+1) row-major, i.e. grad_l^T
        // (s_(l-1)+1 x s_l) to cuBLAS, and grad_l^T = (1/m) a_(l-1)^T d_l:
        //   A = a_(l-1), row-major (m x s_(l-1)+1), is a_(l-1)^T to cuBLAS (lda = s_(l-1)+1):
        //       transa = N (M = s_(l-1)+1 rows, K = m).
        //   B = d_l, row-major (m x s_l), is d_l^T to cuBLAS (ldb = s_l): transb = T gives d_l (m x s_l).
        //   C = grad_l^T (M x N = s_(l-1)+1 x s_l, ldc = s_(l-1)+1), alpha = 1/m, beta = 1.
        // The sum runs over the m examples (K = m): cuBLAS may split it, deterministically.
        CUBLAS_CHECK(gemm(cublas_.get(), CUBLAS_OP_N, CUBLAS_OP_T, inputs, units, m, set.inverse_m(),
                          set.act.a[l - 1].data(), inputs, set.delta[l].data(), units, one(), grad(l), inputs));
        if (l == 1) break;
        const int below = layout_.sizes[l - 1];  // s_(l-1), the hidden layer the error goes back to
        // d_(l-1) = (d_l Theta_l[:, 1:]) .* a_(l-1) (1 - a_(l-1)). The product P = d_l Theta_l[:, 1:] is
        // (m x s_(l-1)) row-major, i.e. P^T (s_(l-1) x m) to cuBLAS, and P^T = Theta_l[:, 1:]^T d_l^T:
        //   A = Theta_l, row-major (s_l x s_(l-1)+1), is Theta_l^T (s_(l-1)+1 x s_l) to cuBLAS; starting
        //       one element in drops its row 0 (Theta_l's bias column), leaving Theta_l[:, 1:]^T
        //       (s_(l-1) x s_l) with lda = s_(l-1)+1: transa = N, and no copy without the bias column.
        //   B = d_l, row-major (m x s_l), is d_l^T (s_l x m) to cuBLAS (ldb = s_l): transb = N.
        //   C = P^T (M x N = s_(l-1) x m, ldc = s_(l-1)), i.e. P row-major in set.delta[l-1].
        CUBLAS_CHECK(gemm(cublas_.get(), CUBLAS_OP_N, CUBLAS_OP_N, below, m, units, one(), theta(l) + 1, inputs,
                          set.delta[l].data(), units, zero(), set.delta[l - 1].data(), below));
        kernels::sigmoid_gradient_delta(m, below, set.act.a[l - 1].data(), set.delta[l - 1].data(), stream_.get());
    }
}

template <class T>
void CudaBackend<T>::enqueue_update(double alpha) {
    kernels::gradient_descent_update(parameter_count_, static_cast<T>(alpha), grad_.data(), theta_.data(),
                                     stream_.get());
}

template <class T>
void CudaBackend<T>::set_parameters(const Parameters& parameters) {
    if (parameters.layout != layout_)
        throw InputError("parameters for network " + parameters.layout.describe() + " given to a GPU backend for " +
                         layout_.describe());
    use_device();
    std::vector<T> values(parameters.values.begin(), parameters.values.end());
    theta_.upload(values.data(), values.size(), stream_.get());
    CUDA_CHECK(cudaStreamSynchronize(stream_.get()));
}

template <class T>
Parameters CudaBackend<T>::parameters() const {
    use_device();
    std::vector<T> values(static_cast<std::size_t>(parameter_count_));
    theta_.download(values.data(), values.size(), stream_.get());
    CUDA_CHECK(cudaStreamSynchronize(stream_.get()));
    Parameters result(layout_);
    std::copy(values.begin(), values.end(), result.values.begin());
    return result;
}

template <class T>
double CudaBackend<T>::download_cost_and_gradient(Parameters* gradient) {
    probe_cost_.download(cost_staging_.data(), 1, stream_.get());
    if (gradient != nullptr) grad_.download(gradient_staging_.data(), gradient_staging_.size(), stream_.get());
    CUDA_CHECK(cudaStreamSynchronize(stream_.get()));
    if (gradient != nullptr) {
        *gradient = Parameters(layout_);
        std::copy(gradient_staging_.data(), gradient_staging_.data() + gradient_staging_.size(),
                  gradient->values.begin());
    }
    return cost_staging_[0];
}

template <class T>
double CudaBackend<T>::cost_and_gradient(double lambda, Parameters* gradient) {
    use_device();
    iteration_.fill_zero(stream_.get());
    enqueue_cost_and_gradient(train_, lambda, gradient != nullptr, probe_cost_.data(), iteration_.data());
    return download_cost_and_gradient(gradient);
}

// A mini-batch: the rows are checked on the host (the gather kernel trusts them), staged with the
// batch's {0, 1, 1/m} in pinned memory and uploaded in one copy; gather_rows builds the batch's A0
// and Y from the training set's on the device; then the same steps as the full batch run on batch_.
// Runs eagerly (never captured), so batch_ may grow between calls without touching the graphs,
// which only use train_.
template <class T>
double CudaBackend<T>::cost_and_gradient_on(std::span<const int> rows, double lambda, Parameters* gradient) {
    if (rows.empty()) throw InputError("a mini-batch needs at least one example");
    for (const int row : rows)
        if (row < 0 || row >= m_)
            throw InputError("mini-batch row " + std::to_string(row) + " is outside the training set (0.." +
                             std::to_string(m_ - 1) + ")");
    // Every launch and GEMM dimension over the batch must fit an int: m times the widest row.
    if (rows.size() > static_cast<std::size_t>(kernels::kMaxLinearElements) / static_cast<std::size_t>(widest_row_))
        throw InputError("a mini-batch of " + std::to_string(rows.size()) + " examples is too large for the GPU backend");
    const int m = static_cast<int>(rows.size());
    const int K = layout_.classes();
    use_device();
    reserve_batch(m);

    // One upload: {0, 1, 1/m} then the row indices, into batch_.header. The staging buffer is free
    // to overwrite: the previous call waited for its stream before returning.
    const T scalars[3] = {T(0), T(1), static_cast<T>(1.0 / m)};
    std::memcpy(batch_staging_.data(), scalars, kScalarBytes);
    std::memcpy(batch_staging_.data() + kScalarBytes, rows.data(), rows.size_bytes());
    CUDA_CHECK(cudaMemcpyAsync(batch_.header.data(), batch_staging_.data(), kScalarBytes + rows.size_bytes(),
                               cudaMemcpyHostToDevice, stream_.get()));
    batch_.act.m = m;

    // batch A0[i, :] = train A0[rows[i], :] and batch Y[i, :] = train Y[rows[i], :].
    const int inputs = layout_.inputs() + 1;
    kernels::gather_rows(m, inputs, batch_.rows(), train_.act.a[0].data(), batch_.act.a[0].data(), stream_.get());
    kernels::gather_rows(m, K, batch_.rows(), train_.Y.data(), batch_.Y.data(), stream_.get());

    iteration_.fill_zero(stream_.get());
    enqueue_cost_and_gradient(batch_, lambda, gradient != nullptr, probe_cost_.data(), iteration_.data());
    return download_cost_and_gradient(gradient);
}

// Captures `count` iterations (cost, gradient, update) from stream_ into an executable graph. The
// history pointer, alpha and lambda are baked in; the write position is the device counter.
template <class T>
GraphExec CudaBackend<T>::capture_iterations(int count, double alpha, double lambda) {
    CUDA_CHECK(cudaStreamBeginCapture(stream_.get(), cudaStreamCaptureModeThreadLocal));
    try {
        for (int i = 0; i < count; ++i) {
            enqueue_cost_and_gradient(train_, lambda, true, history_.data(), iteration_.data(), alpha);
        }
    } catch (...) {
        cudaGraph_t broken = nullptr;
        cudaStreamEndCapture(stream_.get(), &broken);  // leave the stream usable
        if (broken != nullptr) cudaGraphDestroy(broken);
        cudaGetLastError();
        throw;
    }
    cudaGraph_t raw = nullptr;
    CUDA_CHECK(cudaStreamEndCapture(stream_.get(), &raw));
    const Graph graph(raw);
    cudaGraphExec_t exec = nullptr;
    CUDA_CHECK(cudaGraphInstantiate(&exec, graph.get(), 0));
    return GraphExec(exec);
}

template <class T>
void CudaBackend<T>::prepare_graphs(const GradientDescentOptions& options) {
    if (history_.size() < static_cast<std::size_t>(options.iterations)) {
        history_ = DeviceBuffer<double>(static_cast<std::size_t>(options.iterations), "the cost history");
        graphs_ = Captured{};
    }
    if (graphs_.alpha != options.alpha || graphs_.lambda != options.lambda || graphs_.history != history_.data())
        graphs_ = Captured{options.alpha, options.lambda, history_.data(), nullptr, nullptr};
    if (!graphs_.one) graphs_.one = capture_iterations(1, options.alpha, options.lambda);
    if (!graphs_.many && options.iterations >= kIterationsPerGraph)
        graphs_.many = capture_iterations(kIterationsPerGraph, options.alpha, options.lambda);
}

template <class T>
void CudaBackend<T>::launch_iterations(int count) {
    for (; count >= kIterationsPerGraph && graphs_.many; count -= kIterationsPerGraph)
        CUDA_CHECK(cudaGraphLaunch(graphs_.many.get(), stream_.get()));
    for (; count > 0; --count) CUDA_CHECK(cudaGraphLaunch(graphs_.one.get(), stream_.get()));
}

// Replays the captured iteration in chunks of about kChunkSeconds, at most two chunks queued, so the
// GPU never waits for the host. After each chunk one small async copy brings back its last cost;
// the host waits for the older chunk only, then reports progress and looks at the stop flag. A
// stop lets the queued chunk finish: the history returned covers every iteration that ran.
template <class T>
std::vector<double> CudaBackend<T>::gradient_descent(const GradientDescentOptions& options,
                                                     const TrainingObserver& observer) {
    if (options.iterations <= 0) return {};
    use_device();
    prepare_graphs(options);
    iteration_.fill_zero(stream_.get());

    using Clock = std::chrono::steady_clock;
    struct InFlight {
        int end;    // iterations done when this chunk is
        int count;  // iterations in it
        int slot;   // its event and pinned cost slot
    };
    std::deque<InFlight> in_flight;
    int enqueued = 0;
    int completed = 0;
    int chunk = kFirstChunk;
    int next_slot = 0;
    bool stopping = false;
    auto stop_requested = [&] { return observer.stop_requested != nullptr && observer.stop_requested->load(); };
    auto last_report = Clock::now();
    auto last_completion = last_report;

    while (true) {
        if (stop_requested()) stopping = true;
        while (!stopping && enqueued < options.iterations && in_flight.size() < 2) {
            const int count = std::min(chunk, options.iterations - enqueued);
            launch_iterations(count);
            CUDA_CHECK(cudaMemcpyAsync(&latest_cost_[static_cast<std::size_t>(next_slot)],
                                       history_.data() + enqueued + count - 1, sizeof(double),
                                       cudaMemcpyDeviceToHost, stream_.get()));
            CUDA_CHECK(cudaEventRecord(chunk_done_[next_slot].get(), stream_.get()));
            enqueued += count;
            in_flight.push_back({enqueued, count, next_slot});
            next_slot ^= 1;
        }
        if (in_flight.empty()) break;
        const InFlight done = in_flight.front();
        in_flight.pop_front();
        CUDA_CHECK(cudaEventSynchronize(chunk_done_[done.slot].get()));
        completed = done.end;

        // Size the next chunks so that each holds about kChunkSeconds of work (at most 4x growth).
        const auto now = Clock::now();
        const double seconds = std::chrono::duration<double>(now - last_completion).count();
        last_completion = now;
        const double per_iteration = seconds / done.count;
        const double wanted = per_iteration > 0.0 ? kChunkSeconds / per_iteration : 4.0 * chunk;
        chunk = static_cast<int>(std::clamp(wanted, 1.0, std::min(4.0 * chunk, double(kMaxChunk))));

        if (observer.on_progress && (now - last_report >= kProgressInterval || completed == options.iterations ||
                                     (in_flight.empty() && stopping))) {
            observer.on_progress(completed, latest_cost_[static_cast<std::size_t>(done.slot)]);
            last_report = now;
        }
    }

    std::vector<double> history(static_cast<std::size_t>(completed));
    history_.download(history.data(), history.size(), stream_.get());
    CUDA_CHECK(cudaStreamSynchronize(stream_.get()));
    return history;
}

template <class T>
Matrix<double> CudaBackend<T>::output(const Matrix<double>& X) {
    if (X.cols != layout_.inputs())
        throw InputError("output: X has " + std::to_string(X.cols) + " features, network " + layout_.describe() +
                         " takes " + std::to_string(layout_.inputs()));
    const int K = layout_.classes();
    Matrix<double> h(X.rows, K);
    if (X.rows == 0) return h;
    use_device();
    Activations activations = make_activations(X.rows);
    upload_inputs(X, activations);
    enqueue_forward(activations);
    kernels::output_sigmoid(static_cast<int>(activations.z_out.size()), activations.z_out.data(),
                            activations.z_out.data(), stream_.get());
    std::vector<T> values(activations.z_out.size());
    activations.z_out.download(values.data(), values.size(), stream_.get());
    CUDA_CHECK(cudaStreamSynchronize(stream_.get()));
    std::copy(values.begin(), values.end(), h.data.begin());
    return h;
}

void check_training_set(const Layout& layout, const Dataset& train) {
    const std::string where = train.source.empty() ? std::string("the training set") : train.source;
    if (train.examples() <= 0) throw InputError(where + ": no examples to train on");
    if (train.features() != layout.inputs())
        throw InputError(where + ": " + std::to_string(train.features()) + " features, but network " +
                         layout.describe() + " takes " + std::to_string(layout.inputs()));
    if (train.classes != layout.classes())
        throw InputError(where + ": " + std::to_string(train.classes) + " classes, but network " +
                         layout.describe() + " has " + std::to_string(layout.classes()) + " outputs");
    if (train.labels.size() != static_cast<std::size_t>(train.examples()))
        throw InputError(where + ": " + std::to_string(train.labels.size()) + " labels for " +
                         std::to_string(train.examples()) + " examples");
    for (const int label : train.labels)
        if (label < 0 || label >= layout.classes())
            throw InputError(where + ": class index " + std::to_string(label) + " outside 0.." +
                             std::to_string(layout.classes() - 1));
}

}  // namespace

bool cuda_compiled_in() { return true; }

std::optional<GpuInfo> gpu_info() {
    auto device = first_usable_device();
    if (!device) return std::nullopt;
    return device->info;
}

std::unique_ptr<Backend> make_cuda_backend(Precision precision, const Layout& layout, const Dataset& train,
                                           const CudaOptions& options) {
    const auto device = first_usable_device();
    if (!device)
        throw UnavailableError(
            "--device gpu: no usable CUDA GPU (the driver reports no device, or none that answers); "
            "HINT: use --device cpu, or --device auto to fall back to the CPU");
    check_training_set(layout, train);
    if (precision == Precision::Float) return std::make_unique<CudaBackend<float>>(*device, layout, train, options);
    return std::make_unique<CudaBackend<double>>(*device, layout, train, options);
}

}  // namespace digitnet
