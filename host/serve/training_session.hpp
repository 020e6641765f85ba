#pragma once
// One training run at a time, on a worker thread, through the library (run_training), with what
// the page shows while it learns: the cost of each iteration, train/test accuracy and the first
// layer's weights at checkpoints, the time per iteration. Everything here is guarded by one mutex;
// the HTTP handlers read snapshots.
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "digitnet/model/dataset.hpp"
#include "digitnet/model/layout.hpp"
#include "digitnet/model/model_info.hpp"
#include "digitnet/run/request.hpp"
#include "digitnet/train/trainer.hpp"

namespace digitnet::serve {

// What the page asks for: read by parse_training_json from the page's JSON (its fields are the
// run layer's page spellings, run/settings.hpp), checked by the run layer when the run starts.
struct TrainingRequest {
    int hidden = 25;
    Activation activation = Activation::Sigmoid;  // of the hidden layer
    Output output = Output::Sigmoid;
    Optimizer optimizer = Optimizer::GradientDescent;
    // For the status the page shows (server.cpp); the run takes `settings`.
    int iterations = 800;         // gd steps, cg line searches
    double alpha = 0.8;           // gd
    double learning_rate = 1e-3;  // adam
    double lambda = 1.0;
    run::OptimizerSettings settings;  // the optimizer with every option, and those the page sent
};

// The page's JSON body ({"hidden": 25, "optimizer": "adam", "epochs": 3, "lr": 0.01, ...}) as a
// request: the optimizer's name and its options by the run layer's table, each checked there (an
// option of another optimizer is refused), plus the page's own bounds that keep one request from
// occupying the server for days. InputError with a one-line message otherwise.
TrainingRequest parse_training_json(const std::string& text);

// The run layer's request for `request`, on the page's data in memory.
run::RunRequest run_request_for(const TrainingRequest& request, Device device, Precision precision);

// A model the page can use: weights, how to feed it pictures, and a line saying where it came from.
struct ServedModel {
    Parameters parameters;
    ModelInfo info;
    std::string description;
};

struct AccuracyPoint {
    int iteration = 0;
    double train = 0.0, test = -1.0;  // test -1: no test set
};

struct TrainingSnapshot {
    std::string state = "idle";  // idle | running | done | stopped | diverged | failed
    std::string message;
    TrainingRequest request;
    int iteration = 0, total = 0;
    std::vector<std::pair<int, double>> costs;  // (iteration, cost) from `since` on
    int costs_total = 0;                        // how many points there are in all
    std::vector<AccuracyPoint> accuracy;
    double ms_per_iteration = 0.0;
    std::string device;
    int units_version = 0;  // bumps with every new set of first-layer weights
    int run = 0;            // bumps with every run started
    bool keepable = false;  // a stopped run's model waits for keep(); the model in use is unchanged
};

class TrainingSession {
public:
    // on_trained receives each finished run's model; a stopped run's only when the user keeps it
    // (stop(true), or keep() after the stop), so that Stop never loses the model in use.
    TrainingSession(const DataFile& data, Device device, Precision precision,
                    std::function<void(std::shared_ptr<const ServedModel>)> on_trained);
    ~TrainingSession();  // stops a run in progress and waits for it
    TrainingSession(const TrainingSession&) = delete;
    TrainingSession& operator=(const TrainingSession&) = delete;

    // Starts a run; false when one is already running.
    bool start(const TrainingRequest& request);
    // keep_model: the run's model is put in use when it stops, as if it had finished.
    void stop(bool keep_model = false);
    // Puts the last stopped run's model in use; false when there is none waiting.
    bool keep();
    bool running() const;
    TrainingSnapshot snapshot(int costs_since) const;
    // The first layer's weights at the latest checkpoint (layout and Theta1), or nullptr before any.
    std::shared_ptr<const Parameters> latest_units() const;

private:
    void run(TrainingRequest request, int run_number);

    const DataFile& data_;
    const Device device_;
    const Precision precision_;
    std::function<void(std::shared_ptr<const ServedModel>)> on_trained_;

    mutable std::mutex mutex_;
    TrainingSnapshot state_;
    std::vector<std::pair<int, double>> costs_;
    int cost_stride_ = 1;
    std::shared_ptr<const Parameters> units_;
    std::shared_ptr<const ServedModel> stopped_model_;  // a stopped run's, until kept or a new run
    bool keep_requested_ = false;
    std::atomic<bool> stop_{false};
    std::thread worker_;
};

}  // namespace digitnet::serve
