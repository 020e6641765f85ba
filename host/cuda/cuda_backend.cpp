// The CUDA backend (cuda_backend.hpp), composed of the parts in this folder:
//   device.hpp          which GPU; the stream and the cuBLAS handle bound to it
//   device_network.hpp  Theta and the gradient on the device (flat, layout.hpp), GEMM constants
//   example_set.hpp     the training set, uploaded once, and mini-batches gathered from it
//   gradient_pass.hpp   J and the gradient: the general pass (cuBLAS, any layout) or the fused
//                       pass (the seed's shape), picked once with fallback to the general one
//   regularization.hpp  the regularisation terms, on a side branch of each pass
//   forward_pass.hpp    forward propagation and the output h, also for output(X)
//   graph_loop.hpp      gradient descent as replayed CUDA graphs (gradient_descent_loop())
//   shard_sum.hpp       with a DeviceSum: one shard's iteration of data-parallel gd, summed over
//                       the processes inside the graph (shard_gradient_descent_loop())
// Compiled only when CMake found nvcc; a CPU-only build links cuda_unavailable.cpp instead.
// The parameters and the gradient stay on the device between calls; the host sees them only
// through set_parameters, parameters and a requested gradient.
#include "digitnet/cuda/cuda_backend.hpp"

#include <algorithm>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "cuda_check.hpp"
#include "device.hpp"
#include "device_network.hpp"
#include "digitnet/errors.hpp"
#include "example_set.hpp"
#include "forward_pass.hpp"
#include "gradient_pass.hpp"
#include "graph_loop.hpp"
#include "regularization.hpp"
#include "shard_sum.hpp"

namespace digitnet {

namespace {

using cuda::CudaContext;
using cuda::DeviceBuffer;
using cuda::PinnedBuffer;

template <class T>
class CudaBackend final : public Backend {
public:
    // precision: Float or Double as T, or (T = float) Tf32 or Bf16.
    CudaBackend(const cuda::UsableDevice& device, const Layout& layout, const CudaOptions& options,
                Precision precision);

    DeviceReport device_report() const override { return report_; }
    Device device() const override { return Device::Gpu; }
    Precision precision() const override { return network_.precision(); }
    const Layout& layout() const override { return layout_; }

    void set_training_set(const Dataset& train) override;
    int examples() const override { return examples_ ? examples_->examples() : 0; }

    void set_parameters(const Parameters& parameters) override {
        context_.use_device();
        network_.set_parameters(parameters);
    }
    Parameters parameters() const override {
        context_.use_device();
        return network_.parameters();
    }
    double cost_and_gradient(double lambda, Parameters* gradient) override;
    double cost_and_gradient_on(std::span<const int> rows, double lambda, Parameters* gradient) override;
    // Forward propagation over X on every path (the fused kernels compute only J and the
    // gradient), in buffers of its own: the training set, if any, is untouched.
    Matrix<double> output(const Matrix<double>& X) override {
        context_.use_device();
        return cuda::compute_output(network_, X);
    }
    GradientDescentLoop* gradient_descent_loop() override { return &loop_; }
    ShardGradientDescentLoop* shard_gradient_descent_loop() override {
        return summed_loop_ ? &summed_loop_->adapter : nullptr;
    }

private:
    // The loop of a shard of a data-parallel run (options.device_sum): the shard's iteration
    // (shard_sum.hpp) in a graph loop of its own, with its own captured graphs.
    struct SummedGraphLoop {
        struct Adapter final : ShardGradientDescentLoop {
            explicit Adapter(SummedGraphLoop& owner) : owner_(owner) {}
            Result run(const GradientDescentSteps& steps, int total_examples, const TrainingObserver& observer,
                       const std::atomic<bool>* local_interrupt) override {
                owner_.backend.context_.use_device();
                if (owner_.sum.set_total_examples(total_examples)) owner_.loop.forget_graphs();
                owner_.sum.warm_up();
                return owner_.loop.run_with(steps, observer, local_interrupt);
            }
            SummedGraphLoop& owner_;
        };
        SummedGraphLoop(CudaBackend& owner, DeviceSum& device_sum, int iterations_per_graph)
            : backend(owner),
              sum(owner.network_, device_sum),
              loop(
                  owner.context_, [this] { backend.training_set(); },
                  [this](const GradientDescentSteps& steps, double* history, int* iteration) {
                      sum.enqueue_iteration(*backend.pass_, backend.training_set().all(), steps, history, iteration);
                  },
                  &sum, iterations_per_graph),
              adapter(*this) {}
        CudaBackend& backend;
        cuda::ShardSum<T> sum;
        cuda::GraphLoop loop;
        Adapter adapter;
    };

    cuda::DeviceExamples<T>& training_set() {
        if (!examples_) throw_no_training_set();
        return *examples_;
    }
    // J of one pass into probe_cost_ (and the gradient, when asked for), queued.
    void enqueue_probe(cuda::ExampleSet<T>& set, double lambda, bool with_gradient);
    // Queues the download of J and, when gradient is not null, of the gradient, waits for the
    // stream, and returns J (filling *gradient).
    double download_cost_and_gradient(Parameters* gradient);

    Layout layout_;
    DeviceReport report_;
    CudaContext context_;
    cuda::DeviceNetwork<T> network_;
    cuda::Regularization<T> regularization_;
    std::unique_ptr<cuda::GradientPass<T>> pass_;
    std::unique_ptr<cuda::DeviceExamples<T>> examples_;  // none until set_training_set
    DeviceBuffer<double> probe_cost_;                    // where cost_and_gradient's J goes
    DeviceBuffer<int> probe_iteration_;                  // its write position (always 0)
    // Pinned download targets: the copies of J and the gradient are true async DMA, and
    // cost_and_gradient(_on), called once per mini-batch, allocates nothing.
    PinnedBuffer<T> gradient_staging_;
    PinnedBuffer<double> cost_staging_;
    cuda::GraphLoop loop_;
    std::unique_ptr<SummedGraphLoop> summed_loop_;  // with options.device_sum only
};

template <class T>
CudaBackend<T>::CudaBackend(const cuda::UsableDevice& device, const Layout& layout, const CudaOptions& options,
                            Precision precision)
    : layout_(layout),
      report_{.device = Device::Gpu, .hardware = describe(device.info)},
      context_(device.ordinal),
      network_(layout_, context_, precision),
      regularization_(network_),
      pass_(cuda::make_gradient_pass(network_, regularization_, options.one_hidden_layer)),
      probe_cost_(1, "the cost"),
      probe_iteration_(1, "the iteration counter"),
      gradient_staging_(static_cast<std::size_t>(network_.parameter_count())),
      cost_staging_(1),
      loop_(
          context_, [this] { training_set(); },
          [this](const GradientDescentSteps& steps, double* history, int* iteration) {
              pass_->enqueue(
                  training_set().all(),
                  {.lambda = steps.lambda, .history = history, .iteration = iteration, .step_alpha = steps.alpha});
          },
          nullptr, options.iterations_per_graph) {
    if (options.device_sum)
        summed_loop_ = std::make_unique<SummedGraphLoop>(*this, *options.device_sum, options.iterations_per_graph);
    report_.path = pass_->path_name();
    if (summed_loop_) report_.notes.emplace_back(cuda_report::kSummedInsideTheGraph);
    if (precision == Precision::Tf32) report_.notes.emplace_back(cuda_report::kTf32TensorCores);
    if (precision == Precision::Bf16) report_.notes.emplace_back(cuda_report::kBf16TensorCores);
    CUDA_CHECK(cudaStreamSynchronize(context_.stream()));
}

// The new set replaces the old one (freed first: lower peak memory), and the captured graphs,
// which point into the old one, go with it. Then a warm-up: one full iteration (update with
// alpha 0, which leaves Theta unchanged) loads every kernel and lets cuBLAS pick its kernels now,
// outside any graph capture, and reports a build without code for this GPU here rather than in
// the middle of training.
template <class T>
void CudaBackend<T>::set_training_set(const Dataset& train) {
    check_fits(layout_, train);
    context_.use_device();
    loop_.forget_graphs();
    if (summed_loop_) summed_loop_->loop.forget_graphs();
    examples_.reset();
    examples_ =
        std::make_unique<cuda::DeviceExamples<T>>(layout_, train, context_.stream(), precision() == Precision::Bf16);
    probe_iteration_.fill_zero(context_.stream());
    pass_->enqueue(examples_->all(),
                   {.history = probe_cost_.data(), .iteration = probe_iteration_.data(), .step_alpha = 0.0});
    CUDA_CHECK(cudaStreamSynchronize(context_.stream()));
}

template <class T>
void CudaBackend<T>::enqueue_probe(cuda::ExampleSet<T>& set, double lambda, bool with_gradient) {
    probe_iteration_.fill_zero(context_.stream());
    pass_->enqueue(set, {.lambda = lambda,
                         .with_gradient = with_gradient,
                         .history = probe_cost_.data(),
                         .iteration = probe_iteration_.data()});
}

template <class T>
double CudaBackend<T>::download_cost_and_gradient(Parameters* gradient) {
    const cudaStream_t stream = context_.stream();
    probe_cost_.download(cost_staging_.data(), 1, stream);
    if (gradient != nullptr)
        network_.grad_buffer().download(gradient_staging_.data(), gradient_staging_.size(), stream);
    CUDA_CHECK(cudaStreamSynchronize(stream));
    if (gradient != nullptr) {
        *gradient = Parameters(layout_);
        std::copy(gradient_staging_.data(), gradient_staging_.data() + gradient_staging_.size(),
                  gradient->values.begin());
    }
    return cost_staging_[0];
}

template <class T>
double CudaBackend<T>::cost_and_gradient(double lambda, Parameters* gradient) {
    cuda::DeviceExamples<T>& examples = training_set();
    context_.use_device();
    enqueue_probe(examples.all(), lambda, gradient != nullptr);
    return download_cost_and_gradient(gradient);
}

// A mini-batch: the rows are gathered on the device (example_set.hpp), then the same pass as the
// full batch runs on them. Runs eagerly (never captured), so the batch buffers may grow between
// calls without touching the graphs, which only use the training set.
template <class T>
double CudaBackend<T>::cost_and_gradient_on(std::span<const int> rows, double lambda, Parameters* gradient) {
    cuda::DeviceExamples<T>& examples = training_set();
    context_.use_device();
    enqueue_probe(examples.gather(rows), lambda, gradient != nullptr);
    return download_cost_and_gradient(gradient);
}

}  // namespace

std::unique_ptr<Backend> make_cuda_backend(Precision precision, const Layout& layout, const CudaOptions& options) {
    const auto device = cuda::first_usable_device();
    if (!device)
        throw UnavailableError(
            "--device gpu: no usable CUDA GPU (the driver reports no device, or none that answers); "
            "HINT: use --device cpu, or --device auto to fall back to the CPU");
    if (precision == Precision::Double)
        return std::make_unique<CudaBackend<double>>(*device, layout, options, precision);
    return std::make_unique<CudaBackend<float>>(*device, layout, options, precision);
}

}  // namespace digitnet
