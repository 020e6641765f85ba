// The persistent backend (persistent_backend.hpp): the CUDA backend's network, examples and
// forward pass (host/cuda), with every pass one cooperative launch of kernels::persistent_training
// on the context's stream, which computes J, the gradient with its regularisation and (when asked)
// the step itself. Its gradient-descent loop queues chunks of iterations as single launches, sized
// like the graph loop's (host/cuda/chunk_schedule.hpp), one chunk in flight: simple over fast, as
// long as the chunks are ~0.1 s (the host's gap between two is microseconds of that).
#include "persistent_backend.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "cuda/chunk_schedule.hpp"
#include "cuda/device.hpp"
#include "cuda/device_network.hpp"
#include "cuda/example_set.hpp"
#include "cuda/forward_pass.hpp"
#include "cuda_check.hpp"
#include "digitnet/errors.hpp"
#include "persistent_training.cuh"

namespace digitnet::dev {

namespace {

using cuda::DeviceBuffer;

// The plan for the layout on the current device; unusable (with the reason) where the persistent
// kernel does not take the layout or the device cannot co-schedule its grid.
template <class T>
kernels::PersistentTrainingPlan plan_for(const Layout& layout) {
    if (layout.layers() != 2 || layout.hidden != Activation::Sigmoid || layout.output != Output::Sigmoid) {
        kernels::PersistentTrainingPlan plan;
        plan.unavailable = "network " + layout.describe() + " is not one sigmoid hidden layer with sigmoid outputs";
        return plan;
    }
    return kernels::plan_persistent_training<T>(layout.inputs() + 1, layout.sizes[1], layout.classes());
}

template <class T>
class PersistentBackend final : public Backend {
public:
    PersistentBackend(const cuda::UsableDevice& device, const Layout& layout)
        : layout_(layout),
          hardware_(device.info),
          context_(device.ordinal),
          network_(layout_, context_, std::is_same_v<T, float> ? Precision::Float : Precision::Double),
          plan_(plan_for<T>(layout_)),
          probe_cost_(1, "the cost"),
          iteration_(1, "the iteration counter") {
        if (!plan_.usable())
            throw InputError("the persistent kernel cannot run network " + layout_.describe() + ": " +
                             plan_.unavailable);
        const auto resident = static_cast<std::size_t>(plan_.tiles.resident_blocks);
        partials_ = DeviceBuffer<T>(plan_.partial_count(), "the persistent kernel's gradient shares");
        cost_partials_ = DeviceBuffer<double>(resident, "the persistent kernel's cost shares");
        square_partials_ = DeviceBuffer<double>(resident, "the persistent kernel's regularisation shares");
        CUDA_CHECK(cudaStreamSynchronize(context_.stream()));
    }

    DeviceReport device_report() const override {
        return {.device = Device::Gpu, .hardware = describe(hardware_), .path = "persistent"};
    }
    Device device() const override { return Device::Gpu; }
    Precision precision() const override { return network_.precision(); }
    const Layout& layout() const override { return layout_; }

    // Then one pass without a step, which loads the kernel and reports a build without code for
    // this GPU here rather than in the middle of training.
    void set_training_set(const Dataset& train) override {
        check_fits(layout_, train);
        context_.use_device();
        examples_.reset();
        examples_ = std::make_unique<cuda::DeviceExamples<T>>(layout_, train, context_.stream());
        probe(examples_->all(), 0.0, nullptr);
    }
    int examples() const override { return examples_ ? examples_->examples() : 0; }

    void set_parameters(const Parameters& parameters) override {
        context_.use_device();
        network_.set_parameters(parameters);
    }
    Parameters parameters() const override {
        context_.use_device();
        return network_.parameters();
    }
    double cost_and_gradient(double lambda, Parameters* gradient) override {
        cuda::DeviceExamples<T>& examples = training_set();
        context_.use_device();
        return probe(examples.all(), lambda, gradient);
    }
    double cost_and_gradient_on(std::span<const int> rows, double lambda, Parameters* gradient) override {
        cuda::DeviceExamples<T>& examples = training_set();
        context_.use_device();
        return probe(examples.gather(rows), lambda, gradient);
    }
    Matrix<double> output(const Matrix<double>& X) override {
        context_.use_device();
        return cuda::compute_output(network_, X);
    }
    GradientDescentLoop* gradient_descent_loop() override { return &loop_; }

private:
    struct Loop final : GradientDescentLoop {
        explicit Loop(PersistentBackend& owner) : backend(owner) {}
        std::vector<double> run(const GradientDescentSteps& steps, const TrainingObserver& observer) override {
            return backend.run(steps, observer);
        }
        PersistentBackend& backend;
    };

    cuda::DeviceExamples<T>& training_set() {
        if (!examples_) throw_no_training_set();
        return *examples_;
    }

    void launch(cuda::ExampleSet<T>& set, int iterations, double lambda, double alpha, bool step, double* history) {
        kernels::PersistentTrainingRun<T> run;
        run.m = set.m();
        run.a0 = set.act.a[0].data();
        run.Y = set.Y.data();
        run.theta = network_.theta();
        run.grad = network_.grad();
        run.partials = partials_.data();
        run.cost_partials = cost_partials_.data();
        run.square_partials = square_partials_.data();
        run.history = history;
        run.iteration = iteration_.data();
        run.iterations = iterations;
        run.lambda = lambda;
        run.alpha = alpha;
        run.step = step;
        kernels::persistent_training(plan_, run, context_.stream());
    }

    // J (and the gradient, when asked for) of one launch without a step, waited for.
    double probe(cuda::ExampleSet<T>& set, double lambda, Parameters* gradient) {
        const cudaStream_t stream = context_.stream();
        iteration_.fill_zero(stream);
        launch(set, 1, lambda, 0.0, false, probe_cost_.data());
        double cost = 0.0;
        probe_cost_.download(&cost, 1, stream);
        std::vector<T> values(gradient != nullptr ? static_cast<std::size_t>(network_.parameter_count()) : 0);
        if (gradient != nullptr) network_.grad_buffer().download(values.data(), values.size(), stream);
        CUDA_CHECK(cudaStreamSynchronize(stream));
        if (gradient != nullptr) {
            *gradient = Parameters(layout_);
            std::copy(values.begin(), values.end(), gradient->values.begin());
        }
        return cost;
    }

    std::vector<double> run(const GradientDescentSteps& steps, const TrainingObserver& observer) {
        cuda::DeviceExamples<T>& examples = training_set();
        if (steps.iterations <= 0) return {};
        context_.use_device();
        const cudaStream_t stream = context_.stream();
        if (history_.size() < static_cast<std::size_t>(steps.iterations))
            history_ = DeviceBuffer<double>(static_cast<std::size_t>(steps.iterations), "the cost history");
        iteration_.fill_zero(stream);
        using Clock = std::chrono::steady_clock;
        cuda::ChunkSchedule schedule(steps.iterations, 1);
        auto last_report = Clock::now();
        int completed = 0;
        while (true) {
            if (observer.stop_requested != nullptr && observer.stop_requested->load()) schedule.stop();
            const int count = schedule.next();
            if (count == 0) break;
            const auto start = Clock::now();
            launch(examples.all(), count, steps.lambda, steps.alpha, true, history_.data());
            CUDA_CHECK(cudaStreamSynchronize(stream));
            schedule.queued(count);
            completed += count;
            const auto now = Clock::now();
            schedule.resize(schedule.proposal(std::chrono::duration<double>(now - start).count(), count));
            if (observer.on_progress && (now - last_report >= std::chrono::milliseconds(250) || schedule.next() == 0)) {
                double latest = std::numeric_limits<double>::quiet_NaN();
                CUDA_CHECK(cudaMemcpyAsync(&latest, history_.data() + completed - 1, sizeof(double),
                                           cudaMemcpyDeviceToHost, stream));
                CUDA_CHECK(cudaStreamSynchronize(stream));
                observer.on_progress(completed, latest);
                last_report = now;
            }
        }
        std::vector<double> history(static_cast<std::size_t>(completed));
        history_.download(history.data(), history.size(), stream);
        CUDA_CHECK(cudaStreamSynchronize(stream));
        return history;
    }

    Layout layout_;
    GpuInfo hardware_;
    cuda::CudaContext context_;
    cuda::DeviceNetwork<T> network_;
    kernels::PersistentTrainingPlan plan_;
    DeviceBuffer<T> partials_;                           // the blocks' gradient shares (resident_blocks x P)
    DeviceBuffer<double> cost_partials_;                 // the blocks' cost shares (resident_blocks)
    DeviceBuffer<double> square_partials_;               // the blocks' shares of the regularisation's squares
    std::unique_ptr<cuda::DeviceExamples<T>> examples_;  // none until set_training_set
    DeviceBuffer<double> probe_cost_;                    // where cost_and_gradient's J goes
    DeviceBuffer<double> history_;                       // the loop's costs, at least `iterations`
    DeviceBuffer<int> iteration_;                        // the kernel's write position into them
    Loop loop_{*this};
};

bool takes(Precision precision) { return precision == Precision::Float || precision == Precision::Double; }

}  // namespace

std::string persistent_unavailable(Precision precision, const Layout& layout) {
    if (!takes(precision)) return std::string("the persistent kernel is FP32/FP64 only, not ") + to_string(precision);
    const auto device = cuda::first_usable_device();
    if (!device) return "no usable CUDA GPU";
    CUDA_CHECK(cudaSetDevice(device->ordinal));
    return precision == Precision::Double ? plan_for<double>(layout).unavailable : plan_for<float>(layout).unavailable;
}

std::unique_ptr<Backend> make_persistent_backend(Precision precision, const Layout& layout) {
    const auto device = cuda::first_usable_device();
    if (!device) throw UnavailableError("the persistent backend: no usable CUDA GPU");
    if (!takes(precision))
        throw InputError(std::string("the persistent kernel is FP32/FP64 only, not ") + to_string(precision));
    CUDA_CHECK(cudaSetDevice(device->ordinal));
    if (precision == Precision::Double) return std::make_unique<PersistentBackend<double>>(*device, layout);
    return std::make_unique<PersistentBackend<float>>(*device, layout);
}

}  // namespace digitnet::dev
