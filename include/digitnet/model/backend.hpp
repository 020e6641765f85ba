#pragma once
// The backend interface: one algorithm (DESIGN.md), several places to run it.
//
// A backend is made for one layout (sizes, activations, output): that is all it needs to predict.
// To train, a training set is attached, which the backend copies into its own memory (the GPU
// backend uploads it once). The parameters live in the backend between calls, so a training run
// never moves them off the device until it is done.
//
// The optimizers (train/) are written once against this interface: cost_and_gradient and
// set_parameters are all they need. A backend may also offer its own loop of full-batch gradient
// descent (on the GPU: many iterations captured in a CUDA graph), which gd then uses instead.
#include <atomic>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "digitnet/model/dataset.hpp"
#include "digitnet/model/layout.hpp"
#include "digitnet/model/matrix.hpp"

namespace digitnet {

class MiniBatchLoop;  // digitnet/train/minibatch_loop.hpp

// How a backend computes (DESIGN.md, "Precisions"). Float and Double: everything in that type.
// Tf32 and Bf16 are mixed precisions: the GEMMs' inputs (weights and activations or deltas) are
// rounded to TF32 (8-bit exponent, 10-bit mantissa) or BF16 (8-bit exponent, 7-bit mantissa), the
// GEMMs accumulate in FP32, and everything else (the FP32 master weights, the activations'
// nonlinear steps, the cost, the update) is FP32: what tensor cores compute.
enum class Precision { Float, Double, Tf32, Bf16 };
enum class Device { Auto, Cpu, Gpu };

const char* to_string(Precision p);  // "float" / "double" / "tf32" / "bf16"
// The inverse of to_string(Precision); InputError naming the accepted values otherwise.
Precision parse_precision(const std::string& name);
// True for the mixed precisions (tf32, bf16), whose GEMM inputs are rounded.
bool is_mixed(Precision p);
const char* to_string(Device d);  // "auto" / "cpu" / "gpu"

// A run of the seed's full-batch gradient descent: for each iteration, J(Theta) and then
// Theta -= alpha * grad J(Theta), J regularised with lambda.
struct GradientDescentSteps {
    int iterations = 800;
    double alpha = 0.8;
    double lambda = 1.0;
};

// How a training loop reports back and is stopped. The GPU loop calls on_progress only every
// few hundred milliseconds; the CPU loop may call it every iteration.
struct TrainingObserver {
    std::function<void(int iterations_done, double latest_cost)> on_progress;
    // When non-null and true, the loop stops at the end of the current iteration.
    const std::atomic<bool>* stop_requested = nullptr;
};

// A backend's own gradient-descent loop: the optional fast path (see above).
class GradientDescentLoop {
public:
    virtual ~GradientDescentLoop() = default;
    // From the backend's current parameters; returns J before each update, one entry per
    // completed iteration (fewer than asked when stopped), and leaves the result in the backend.
    virtual std::vector<double> run(const GradientDescentSteps& steps, const TrainingObserver& observer) = 0;
};

// A backend's gradient-descent loop over its shard of a data-parallel run (DESIGN.md, "Several
// processes"), summing the shards' cost and gradient over the processes itself, every iteration
// (the CUDA backend given a DeviceSum: NCCL inside its CUDA graph). DataParallelBackend runs gd
// through it where the local backend has one.
class ShardGradientDescentLoop {
public:
    struct Result {
        std::vector<double> history;  // J before each update, the same on every process
        bool agreed_stop = false;     // a process asked to stop (see below): all stopped at the same iteration
    };
    virtual ~ShardGradientDescentLoop() = default;
    // As GradientDescentLoop::run, over `total_examples` examples in all (the global m). This
    // process asks to stop when observer.stop_requested or `local_interrupt` (may be null) is up;
    // every process runs until the same iteration, decided from values summed over all of them.
    virtual Result run(const GradientDescentSteps& steps, int total_examples, const TrainingObserver& observer,
                       const std::atomic<bool>* local_interrupt) = 0;
};

// What a backend runs on, field by field (tests and code look at these; device_name() is the one
// line for people).
struct DeviceReport {
    Device device = Device::Cpu;     // Cpu or Gpu
    std::string hardware;            // "OpenBLAS 0.3.21 ..." or "NVIDIA H100 80GB HBM3, sm_90"
    std::string path;                // the GPU's path for this network: "fused", or "" (general)
    std::vector<std::string> notes;  // how it computes beyond that, e.g. "tf32 tensor cores (FP32 accumulation)"
    std::string across;              // a data-parallel run: its communicator ("3 processes (MPI)"), else ""

    bool has_note(const std::string& note) const;
    // "gpu (NVIDIA H100 80GB HBM3, sm_90, fused; note; note)", then " x <across>" when there is one.
    std::string describe() const;
};

class Backend {
public:
    virtual ~Backend() = default;

    virtual DeviceReport device_report() const = 0;
    // device_report().describe(): "cpu (OpenBLAS ...)" or "gpu (NVIDIA H100 80GB HBM3, sm_90, fused)".
    std::string device_name() const { return device_report().describe(); }
    virtual Device device() const = 0;
    virtual Precision precision() const = 0;
    virtual const Layout& layout() const = 0;

    // Attaches the training set (replacing any earlier one) after check_fits(layout(), train).
    virtual void set_training_set(const Dataset& train) = 0;
    virtual int examples() const = 0;  // m of the training set; 0 before one is attached

    virtual void set_parameters(const Parameters& parameters) = 0;
    virtual Parameters parameters() const = 0;

    // J at the current parameters over the whole training set (regularised with lambda); when
    // gradient is not null, also fills it with dJ/dTheta in the same flat layout.
    virtual double cost_and_gradient(double lambda, Parameters* gradient) = 0;

    // J and its gradient over only the given rows of the training set (a mini-batch): the same
    // formula with m = rows.size(). Rows may repeat; each must be in 0..examples()-1.
    virtual double cost_and_gradient_on(std::span<const int> rows, double lambda, Parameters* gradient) = 0;

    // h (m x K), the network's output for each row of X, at the current parameters. Needs no
    // training set.
    virtual Matrix<double> output(const Matrix<double>& X) = 0;

    // The backend's own gradient-descent loop, or nullptr when it has none (gd then runs the
    // generic loop over cost_and_gradient). Owned by the backend.
    virtual GradientDescentLoop* gradient_descent_loop() { return nullptr; }

    // The backend's own mini-batch loop (adam, sgd), or nullptr when it has none (they then run
    // the host-driven loop over cost_and_gradient_on). Owned by the backend.
    virtual MiniBatchLoop* minibatch_loop() { return nullptr; }

    // The loop of this backend as one shard of a data-parallel run, or nullptr when it has none
    // (the default: the shards' sums then go through the host, one allreduce per evaluation).
    virtual ShardGradientDescentLoop* shard_gradient_descent_loop() { return nullptr; }
};

// The rules every backend applies to a training set, so that all accept the same inputs: as many
// features as the network has inputs, labels within the network's classes (a set may use fewer
// classes than the network has, e.g. a test set without one of the digits). InputError otherwise.
void check_fits(const Layout& layout, const Dataset& train);

// The InputError every backend throws from cost_and_gradient without a training set.
[[noreturn]] void throw_no_training_set();

// Argmax of each row of h: class indices 0..K-1 (ties go to the lower index).
std::vector<int> predict_classes(const Matrix<double>& h);

// Fraction of predictions equal to labels.
double accuracy(const std::vector<int>& predicted, const std::vector<int>& labels);

}  // namespace digitnet
