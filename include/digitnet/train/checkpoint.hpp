#pragma once
// A checkpoint: everything a training run needs to go on exactly where it stopped (issue 20,
// item 5): the parameters as the optimizer holds them and the optimizer's own state. Continuing
// from one (resume_training, trainer.hpp) gives the same numbers, bit for bit, as never stopping.
// checkpoint_file.hpp reads and writes them.
#include <cstdint>
#include <vector>

#include "digitnet/model/layout.hpp"
#include "digitnet/train/optimizer_options.hpp"

namespace digitnet {

struct OptimizerState {
    Optimizer optimizer = Optimizer::GradientDescent;
    // Iterations (gd), line searches (cg) or mini-batch steps (adam, sgd) done. For the mini-batch
    // optimizers this is also the shuffle's position: epoch = iterations / steps_per_epoch, and the
    // batch within it iterations % steps_per_epoch (every epoch has the same number of batches, and
    // each epoch's permutation follows from the seed and the epoch alone: shuffle.hpp).
    std::int64_t iterations = 0;
    // adam: the first moment m; sgd: the momentum buffer; cg: the search direction. Empty for gd.
    std::vector<double> first;
    std::vector<double> second;  // adam: the second moment v
    double cg_step = 0.0;        // cg: the first trial step of the next line search
    int cg_failures = 0;         // cg: line searches in a row that made no progress
    // The mini-batch optimizers: what the shuffle and the steps depend on, checked on resume.
    std::uint64_t seed = 0;
    int batch = 0;
    int examples = 0;  // m of the training set the run was on
};

struct Checkpoint {
    // gd, adam, sgd: the backend's weights (exact: they are in its precision); cg: the current
    // point, in double as the host holds it.
    Parameters parameters;
    OptimizerState state;
    std::vector<double> history;  // the run's history so far (TrainingOutcome::history)
};

}  // namespace digitnet
