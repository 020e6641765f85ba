#pragma once
// The backend interface: one algorithm (DESIGN.md), several places to run it.
//
// A backend is made for one layout and one training set, which it copies into its own memory
// (the GPU backend uploads it once). The parameters live in the backend between calls, so a
// training run never moves them off the device until it is done.
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

enum class Precision { Float, Double };
enum class Device { Auto, Cpu, Gpu };

const char* to_string(Precision p);  // "float" / "double"
const char* to_string(Device d);     // "auto" / "cpu" / "gpu"

struct GradientDescentOptions {
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

class Backend {
public:
    virtual ~Backend() = default;

    // "cpu (OpenBLAS)" or "gpu (NVIDIA H100 80GB HBM3, sm_90)", for reports.
    virtual std::string device_name() const = 0;
    virtual Device device() const = 0;
    virtual Precision precision() const = 0;
    virtual const Layout& layout() const = 0;
    virtual int examples() const = 0;  // m of the training set

    virtual void set_parameters(const Parameters& parameters) = 0;
    virtual Parameters parameters() const = 0;

    // J at the current parameters (full batch, regularised with lambda); when gradient is not
    // null, also fills it with dJ/dTheta in the same flat layout.
    virtual double cost_and_gradient(double lambda, Parameters* gradient) = 0;

    // J and its gradient over only the given rows of the training set (a mini-batch): the same
    // formula with m = rows.size(). Rows may repeat; each must be in 0..examples()-1.
    virtual double cost_and_gradient_on(std::span<const int> rows, double lambda, Parameters* gradient) = 0;

    // Full-batch gradient descent from the current parameters: for each iteration i,
    // history[i] = J(Theta) and then Theta -= alpha * grad J(Theta), as in the seed.
    // Returns the history, one entry per completed iteration (fewer than asked when stopped).
    virtual std::vector<double> gradient_descent(const GradientDescentOptions& options,
                                                 const TrainingObserver& observer) = 0;

    // h (m x K), the network's output for each row of X, at the current parameters.
    virtual Matrix<double> output(const Matrix<double>& X) = 0;
};

// Argmax of each row of h: class indices 0..K-1 (ties go to the lower index).
std::vector<int> predict_classes(const Matrix<double>& h);

// Fraction of predictions equal to labels.
double accuracy(const std::vector<int>& predicted, const std::vector<int>& labels);

}  // namespace digitnet
