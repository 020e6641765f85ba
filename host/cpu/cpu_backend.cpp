// The CPU backend: the mathematics of DESIGN.md as OpenBLAS GEMMs plus vectorised loops.
//
// Layout. Everything is stored feature-major: activations A_l^T are (s_l + 1) x m row-major, one
// row per unit and one column per example, row 0 the bias units. Every GEMM then has the small
// layer size as M and the examples as N or K, the shape OpenBLAS runs fast (DESIGN.md: (25 x 401)
// (401 x 5000) ran at ~93 GFLOP/s where (5000 x 401)(401 x 25) ran at ~33 on a 2-core machine).
//
// Threads. The examples are cut into one slice per thread (OpenMP); each thread runs the whole
// forward and backward pass on its slice with single-threaded GEMMs and writes its own partial
// gradient, and the partial sums are added in slice order. On 2 cores this ran ~15% faster than
// letting OpenBLAS split each GEMM, it parallelises the element-wise work too, and since the
// slices and the order of the sums are fixed, the result is the same bit for bit on every run.
//
// Mixed precisions (tf32, bf16: gemm_inputs.hpp). The backend computes in float and every GEMM
// reads rounded copies of its inputs: the weights (gemm_theta_, rounded once per pass), the inputs
// A_0^T (rounded once, when the slices are made: they are only ever GEMM inputs), the hidden
// activations (a rounded copy beside the FP32 ones, which the activation derivative reads) and the
// deltas (rounded in place once computed: from then on they are only GEMM inputs). The cost, the
// activations, the gradient sums and the update stay FP32, the master weights too.
//
// Mini-batches (issue 21). The training set is also kept example-major (rows_, one row of active
// features per example), so that a batch is gathered by one copy per example into slices made
// once for the batch size, whose A_0 is example-major too (cpu_slices.hpp): the first layer's GEMMs
// read it transposed, which OpenBLAS packs as cheaply. cost_and_gradient_on and the backend's own
// loop (MiniBatchLoop, below) share those slices, so both compute the same gradient. The loop runs
// a whole chunk of steps in one OpenMP team: per step, the master thread picks the batch (the
// epoch's permutation, shuffle.hpp) and the coefficients; each thread gathers its slice and runs
// its forward and backward pass; then each thread sums the slices' partial gradients over its own
// range of the parameters and applies the update there (cpu_update.hpp), in T: float master
// weights for float runs. Three barriers a step (step_barrier.hpp: they yield the core on a
// loaded machine) and no allocation; the ranges and the order of the
// sums are fixed, so a run repeats to the bit.
#include "digitnet/cpu/cpu_backend.hpp"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <exception>
#include <span>
#include <type_traits>

#include "cpu_elementwise.hpp"
#include "cpu_slices.hpp"
#include "cpu_update.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/train/minibatch_loop.hpp"
#include "digitnet/train/shuffle.hpp"
#include "digitnet/train/update_rules.hpp"
#include "gemm_inputs.hpp"
#include "step_barrier.hpp"

namespace digitnet {

namespace {

using cpu::FlushDenormals;
using cpu::gemm;
using cpu::make_slices;
using cpu::Slice;
using cpu::thread_count;

template <class T>
class CpuBackend final : public Backend, public GradientDescentLoop, public MiniBatchLoop {
public:
    CpuBackend(Precision precision, const Layout& layout)
        : precision_(precision), mode_(cpu::gemm_inputs_for(precision)), layout_(layout) {
        // The threads are ours (one slice each); a GEMM runs on the thread that calls it.
        openblas_set_num_threads(1);
        theta_.assign(layout.parameter_count(), T(0));
        gradient_.assign(layout.parameter_count(), T(0));
        if (mixed()) gemm_theta_.assign(layout.parameter_count(), T(0));
    }

    void set_training_set(const Dataset& train) override {
        check_fits(layout_, train);
        m_ = train.examples();
        // Features that are 0 in every training example (the blank border of digit images: 37 of
        // digits20's 400 pixels) contribute exactly 0 to z_1 and to grad_1's data term, so the
        // training passes leave them out of A_0^T and of their copy of Theta_1: ~9% fewer FLOPs on
        // the seed's network, and the same numbers. output() on other data uses every feature.
        active_.clear();
        for (int j = 0; j < train.features(); ++j) {
            bool used = false;
            for (int i = 0; i < m_ && !used; ++i) used = train.X(i, j) != 0.0;
            if (used) active_.push_back(j);
        }
        if (active_.empty()) active_.push_back(0);  // keep the GEMMs non-empty
        theta1_active_.assign(static_cast<std::size_t>(layout_.theta_rows(1)) * (active_.size() + 1), T(0));
        slices_ = make_slices<T>(
            layout_, m_, static_cast<int>(active_.size()),
            [&](int i, int k) { return static_cast<T>(train.X(i, active_[static_cast<std::size_t>(k)])); },
            [&](int i) { return train.labels[static_cast<std::size_t>(i)]; }, true, mode_);
        // The mini-batches' copy, example-major (see the top of the file), rounded as A_0^T is.
        const std::size_t n = active_.size();
        rows_.assign(static_cast<std::size_t>(m_) * n, T(0));
        for (int i = 0; i < m_; ++i)
            for (std::size_t k = 0; k < n; ++k)
                rows_[static_cast<std::size_t>(i) * n + k] = static_cast<T>(train.X(i, active_[k]));
        if constexpr (std::is_same_v<T, float>)
            if (mixed()) cpu::copy_rounded(mode_, rows_.data(), rows_.data(), rows_.size());
        labels_ = train.labels;
        batch_slices_.clear();
        batch_capacity_ = 0;
        make_update_runs();
    }

    DeviceReport device_report() const override {
        DeviceReport report{.device = Device::Cpu, .hardware = blas_name()};
        if (mixed()) report.notes.push_back(cpu::describe_gemm_inputs(mode_));
        return report;
    }
    Device device() const override { return Device::Cpu; }
    Precision precision() const override { return precision_; }
    const Layout& layout() const override { return layout_; }
    int examples() const override { return m_; }

    void set_parameters(const Parameters& parameters) override {
        if (!(parameters.layout == layout_))
            throw InputError("parameters of layout " + parameters.layout.describe() + " do not fit network " +
                             layout_.describe());
        std::transform(parameters.values.begin(), parameters.values.end(), theta_.begin(),
                       [](double v) { return static_cast<T>(v); });
    }

    Parameters parameters() const override {
        Parameters p(layout_);
        std::copy(theta_.begin(), theta_.end(), p.values.begin());
        return p;
    }

    double cost_and_gradient(double lambda, Parameters* gradient) override {
        if (m_ == 0) throw_no_training_set();
        const double cost = compute(slices_, m_, lambda, gradient != nullptr);
        if (gradient) {
            *gradient = Parameters(layout_);
            std::copy(gradient_.begin(), gradient_.end(), gradient->values.begin());
        }
        return cost;
    }

    GradientDescentLoop* gradient_descent_loop() override { return this; }

    // The update in place, in T: no conversion of the parameters to double and back per iteration.
    std::vector<double> run(const GradientDescentSteps& steps, const TrainingObserver& observer) override {
        if (m_ == 0) throw_no_training_set();
        std::vector<double> history;
        history.reserve(static_cast<std::size_t>(steps.iterations));
        for (int it = 0; it < steps.iterations; ++it) {
            if (observer.stop_requested && observer.stop_requested->load()) break;
            history.push_back(compute(slices_, m_, steps.lambda, true));
            cpu::descend(theta_.data(), gradient_.data(), static_cast<T>(steps.alpha), theta_.size());
            if (observer.on_progress) observer.on_progress(it + 1, history.back());
        }
        return history;
    }

    double cost_and_gradient_on(std::span<const int> rows, double lambda, Parameters* gradient) override {
        if (m_ == 0) throw_no_training_set();
        if (rows.empty()) throw InputError("a mini-batch needs at least one example");
        for (int row : rows)
            if (row < 0 || row >= m_)
                throw InputError("mini-batch row " + std::to_string(row) + " is outside the training set");
        const int size = static_cast<int>(rows.size());
        reserve_batch(size);
        const int count = batch_slice_count(size);
        for (int t = 0; t < count; ++t) gather(t, rows.data(), size, count);
        const double cost = compute(std::span(batch_slices_.data(), static_cast<std::size_t>(count)), size, lambda,
                                    gradient != nullptr);
        if (gradient) {
            *gradient = Parameters(layout_);
            std::copy(gradient_.begin(), gradient_.end(), gradient->values.begin());
        }
        return cost;
    }

    MiniBatchLoop* minibatch_loop() override { return this; }

    void begin(const MiniBatchRun& run, const OptimizerState& state) override {
        if (m_ == 0) throw_no_training_set();
        run_ = run;
        step_ = state.iterations;
        per_epoch_ = steps_per_epoch(m_, run.minibatch.batch);
        total_steps_ = static_cast<std::int64_t>(run.minibatch.epochs) * per_epoch_;
        batch_ = std::min(run.minibatch.batch, m_);
        const std::size_t n = theta_.size();
        const auto restore = [n](std::vector<T>& buffer, const std::vector<double>& saved) {
            buffer.assign(n, T(0));
            if (saved.size() == n)
                std::transform(saved.begin(), saved.end(), buffer.begin(), [](double v) { return static_cast<T>(v); });
        };
        restore(first_, state.first);
        if (run.optimizer == Optimizer::Adam)
            restore(second_, state.second);
        else
            second_.clear();
        reserve_batch(batch_);
        order_epoch_ = -1;
    }

    OptimizerState state() const override {
        OptimizerState s;
        s.optimizer = run_.optimizer;
        s.iterations = step_;
        s.first.assign(first_.begin(), first_.end());
        s.second.assign(second_.begin(), second_.end());
        s.seed = run_.minibatch.seed;
        s.batch = run_.minibatch.batch;
        s.examples = m_;
        return s;
    }

    std::vector<double> run(std::int64_t until_step, double cost_limit, const TrainingObserver& observer) override {
        if (m_ == 0) throw_no_training_set();
        std::vector<double> costs;
        costs.reserve(static_cast<std::size_t>(std::max<std::int64_t>(0, until_step - step_)));
        refresh_gemm_weights();
        const int team = static_cast<int>(batch_slices_.size());
        thread_squares_.assign(static_cast<std::size_t>(team), 0.0);
        bool stop = false;
        std::exception_ptr failure;
        auto last_report = std::chrono::steady_clock::now();
        const auto report = [&](bool always) {
            if (!observer.on_progress || costs.empty()) return;
            const auto now = std::chrono::steady_clock::now();
            if (!always && now - last_report < std::chrono::milliseconds(250)) return;
            last_report = now;
            observer.on_progress(static_cast<int>(step_), costs.back());
        };
        // The master thread's part of a step, between the others' barriers: the last step's cost
        // and the decision to go on, then the next batch and its coefficients.
        const auto book_and_prepare = [&](bool after_step) {
            try {
                if (after_step) {
                    double cost_sum = 0.0, squares = 0.0;
                    for (int t = 0; t < step_count_; ++t)
                        cost_sum += batch_slices_[static_cast<std::size_t>(t)].cost_sum;
                    for (double part : thread_squares_) squares += part;
                    const double cost = cost_sum / step_size_ + step_lambda_ / (2.0 * step_size_) * squares;
                    costs.push_back(cost);
                    ++step_;
                    if (cost_limit <= 0) cost_limit = 1e6 * std::max(1.0, cost);
                    if (!std::isfinite(cost) || cost > cost_limit) stop = true;
                    report(false);
                }
                if (observer.stop_requested && observer.stop_requested->load()) stop = true;
                if (step_ >= until_step) stop = true;
                if (!stop) prepare_step();
            } catch (...) {
                failure = std::current_exception();
                stop = true;
            }
        };
        cpu::StepBarrier barrier(team);
#pragma omp parallel num_threads(team)
        {
            const FlushDenormals flush;
            const int t = omp_get_thread_num();
            bool after_step = false;
            while (true) {
                if (t == 0) book_and_prepare(after_step);
                barrier.wait();
                if (stop) break;
                if (t < step_count_) {
                    gather(t, order_.data() + step_start_, step_size_, step_count_);
                    forward_backward(batch_slices_[static_cast<std::size_t>(t)], true);
                }
                barrier.wait();
                thread_squares_[static_cast<std::size_t>(t)] = update_share(t, team);
                barrier.wait();
                after_step = true;
            }
        }
        if (failure) std::rethrow_exception(failure);
        report(true);
        return costs;
    }

    Matrix<double> output(const Matrix<double>& X) override {
        if (X.cols != layout_.inputs())
            throw InputError("the data has " + std::to_string(X.cols) + " features but the network takes " +
                             std::to_string(layout_.inputs()));
        const int K = layout_.classes();
        Matrix<double> h(X.rows, K);
        if (X.rows == 0) return h;
        std::vector<Slice<T>> slices = make_slices<T>(
            layout_, X.rows, X.cols, [&](int i, int j) { return static_cast<T>(X(i, j)); }, [](int) { return 0; },
            false, mode_);
        round_weights();
        const int count = static_cast<int>(slices.size());
#pragma omp parallel for schedule(static, 1) num_threads(count)
        for (int s = 0; s < count; ++s) {
            const FlushDenormals flush;
            Slice<T>& slice = slices[static_cast<std::size_t>(s)];
            forward(slice);
            if (layout_.output == Output::Softmax)
                cpu::softmax_in_place(slice.z_out.data(), K, static_cast<std::size_t>(slice.m));
            else
                cpu::sigmoid_in_place(slice.z_out.data(), slice.z_out.size());
        }
        int row = 0;
        for (const Slice<T>& slice : slices) {
            for (int k = 0; k < K; ++k)
                for (int i = 0; i < slice.m; ++i)
                    h(row + i, k) = static_cast<double>(slice.z_out[static_cast<std::size_t>(k) * slice.m + i]);
            row += slice.m;
        }
        return h;
    }

private:
    bool mixed() const { return mode_ != cpu::GemmInputs::Exact; }

    // The master weights (what the cost's regularisation and the update read), and the weights the
    // GEMMs read: the same, or their rounded copy in the mixed precisions.
    const T* theta(int l) const { return theta_.data() + layout_.theta_offset(l); }
    const T* gemm_theta(int l) const { return (mixed() ? gemm_theta_ : theta_).data() + layout_.theta_offset(l); }

    // Before each pass: the GEMMs' copy of the weights, in the mixed precisions.
    void round_weights() {
        if constexpr (std::is_same_v<T, float>)
            if (mixed()) cpu::copy_rounded(mode_, theta_.data(), gemm_theta_.data(), theta_.size());
    }

    // C = op(A) op(B) (alpha 1, beta 0), A and B GEMM inputs as this precision stores them.
    void matmul(CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, int M, int N, int K, const T* A, int lda, const T* B,
                int ldb, T* C, int ldc) const {
        if constexpr (std::is_same_v<T, float>) {
            if (mixed()) {
                cpu::gemm_rounded(mode_, trans_a, trans_b, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc);
                return;
            }
        }
        gemm<T>(trans_a, trans_b, M, N, K, T(1), A, lda, B, ldb, T(0), C, ldc);
    }

    // A_l^T as the GEMMs read it.
    const T* gemm_activation(const Slice<T>& slice, int l) const {
        return (l > 0 && mixed() ? slice.gemm_activations : slice.activations)[static_cast<std::size_t>(l)].data();
    }

    // Rounds a GEMM input in place, in the mixed precisions.
    void round_in_place([[maybe_unused]] T* values, [[maybe_unused]] std::size_t n) const {
        if constexpr (std::is_same_v<T, float>)
            if (mixed()) cpu::copy_rounded(mode_, values, values, n);
    }

    // Theta_l as a slice's passes see it, and its row length: for l = 1 on the training examples,
    // only the columns of the active features (theta1_active_, gathered by compute()).
    const T* theta_for(const Slice<T>& slice, int l) const {
        return l == 1 && slice.inputs != layout_.inputs() ? theta1_active_.data() : gemm_theta(l);
    }
    int cols_for(const Slice<T>& slice, int l) const { return l == 1 ? slice.inputs + 1 : layout_.theta_cols(l); }

    // For l = 1..L: z_l^T (s_l x m) = Theta_l (s_l x (s_(l-1)+1)) A_(l-1)^T ((s_(l-1)+1) x m).
    // Hidden layers write z straight into rows 1.. of A_l^T and apply their activation in place.
    void forward(Slice<T>& slice) const {
        const int L = layout_.layers(), m = slice.m;
        for (int l = 1; l <= L; ++l) {
            const int rows = layout_.theta_rows(l), cols = cols_for(slice, l);
            const T* below = gemm_activation(slice, l - 1);
            T* z = l < L ? slice.activations[static_cast<std::size_t>(l)].data() + m : slice.z_out.data();
            if (l == 1 && slice.example_major)  // A_0 (m x cols), read transposed
                matmul(CblasNoTrans, CblasTrans, rows, m, cols, theta_for(slice, l), cols, below, cols, z, m);
            else
                matmul(CblasNoTrans, CblasNoTrans, rows, m, cols, theta_for(slice, l), cols, below, m, z, m);
            if (l == L) break;
            cpu::activate_in_place(layout_.hidden, z, static_cast<std::size_t>(rows) * m);
            if constexpr (std::is_same_v<T, float>) {
                if (mixed()) {
                    // Rows 1..: the bias row of ones is exact already.
                    const std::size_t units = static_cast<std::size_t>(rows) * m;
                    cpu::copy_rounded(mode_, z, slice.gemm_activations[static_cast<std::size_t>(l)].data() + m, units);
                }
            }
        }
    }

    // The slice's cost terms, d_L = h - Y, and its unscaled gradient sum_i d_l^T a_(l-1).
    void forward_backward(Slice<T>& slice, bool want_gradient) const {
        const int L = layout_.layers(), m = slice.m;
        forward(slice);
        T* delta_out = slice.deltas[static_cast<std::size_t>(L)].data();
        const std::size_t outputs = static_cast<std::size_t>(layout_.classes()) * m;
        slice.cost_sum = layout_.output == Output::Softmax
                             ? cpu::softmax_output_delta_cost(slice.z_out.data(), slice.one_hot.data(), delta_out,
                                                              layout_.classes(), static_cast<std::size_t>(m))
                             : cpu::output_delta_cost(slice.z_out.data(), slice.one_hot.data(), delta_out, outputs);
        if (!want_gradient) return;
        round_in_place(delta_out, outputs);
        for (int l = L; l >= 1; --l) {
            const int rows = layout_.theta_rows(l), cols = cols_for(slice, l);
            const T* delta = slice.deltas[static_cast<std::size_t>(l)].data();
            const T* below = gemm_activation(slice, l - 1);
            // d_l^T A_(l-1): d^T is stored (s_l x m) and A_(l-1)^T ((s_(l-1)+1) x m), so the
            // product is d^T (A^T)^T, B transposed; (s_l x (s_(l-1)+1)), Theta_l's shape.
            T* gradient = slice.gradient.data() + layout_.theta_offset(l);
            if (l == 1 && slice.example_major)  // d_1^T A_0, A_0 as stored
                matmul(CblasNoTrans, CblasNoTrans, rows, cols, m, delta, m, below, cols, gradient, cols);
            else
                matmul(CblasNoTrans, CblasTrans, rows, cols, m, delta, m, below, m, gradient, cols);
            if (l == 1) break;
            // d_(l-1)^T (s_(l-1) x m) = Theta_l[:,1:]^T (s_(l-1) x s_l) d_l^T (s_l x m), then times
            // f'(a) of the layer below. Theta_l[:,1:] starts one element in, with row stride cols.
            const int below_units = layout_.sizes[l - 1];
            T* delta_below = slice.deltas[static_cast<std::size_t>(l - 1)].data();
            matmul(CblasTrans, CblasNoTrans, below_units, m, rows, gemm_theta(l) + 1, cols, delta, m, delta_below, m);
            // f'(a) from the FP32 activations, not the GEMMs' rounded copy.
            const T* a_below = slice.activations[static_cast<std::size_t>(l - 1)].data();
            cpu::multiply_activation_derivative(layout_.hidden, delta_below, a_below + m,
                                                static_cast<std::size_t>(below_units) * m);
            round_in_place(delta_below, static_cast<std::size_t>(below_units) * m);
        }
    }

    // J over the examples in `slices` (m of them); fills gradient_ when asked.
    double compute(std::span<Slice<T>> slices, int examples, double lambda, bool want_gradient) {
        refresh_gemm_weights();
        const int count = static_cast<int>(slices.size());
#pragma omp parallel for schedule(static, 1) num_threads(count)
        for (int s = 0; s < count; ++s) {
            const FlushDenormals flush;
            forward_backward(slices[static_cast<std::size_t>(s)], want_gradient);
        }

        double cost_sum = 0.0;
        for (const Slice<T>& slice : slices) cost_sum += slice.cost_sum;
        double squares = 0.0;
        for (int l = 1; l <= layout_.layers(); ++l) {
            const int rows = layout_.theta_rows(l), cols = layout_.theta_cols(l);
            for (int r = 0; r < rows; ++r)
                for (int c = 1; c < cols; ++c) {
                    const double w = theta(l)[static_cast<std::size_t>(r) * cols + c];
                    squares += w * w;
                }
        }
        const double m = examples;
        const double cost = cost_sum / m + lambda / (2.0 * m) * squares;
        if (!want_gradient) return cost;

        // grad_l = (1/m) sum over slices of d_l^T A_(l-1) + (lambda/m) [0, Theta_l[:,1:]]. The
        // slices' grad_1 has only the active features' columns; the others get the data term 0.
        const T inverse_m = static_cast<T>(1.0 / m), reg = static_cast<T>(lambda / m);
        for (int l = 1; l <= layout_.layers(); ++l) {
            const int rows = layout_.theta_rows(l), cols = layout_.theta_cols(l), slice_cols = cols_for(slices[0], l);
            const std::size_t offset = layout_.theta_offset(l);
            const bool gathered = slice_cols != cols;
            for (int r = 0; r < rows; ++r) {
                for (int c = 0; c < cols; ++c) {
                    const std::size_t j = offset + static_cast<std::size_t>(r) * cols + c;
                    gradient_[j] = c == 0 ? T(0) : reg * theta_[j];
                }
                for (int k = 0; k < slice_cols; ++k) {
                    const int c = gathered && k > 0 ? active_[static_cast<std::size_t>(k - 1)] + 1 : k;
                    T sum = 0;
                    for (const Slice<T>& slice : slices)
                        sum += slice.gradient[offset + static_cast<std::size_t>(r) * slice_cols + k];
                    gradient_[offset + static_cast<std::size_t>(r) * cols + c] += sum * inverse_m;
                }
            }
        }
        return cost;
    }

    // The GEMMs' copies of the weights: rounded (mixed precisions) and Theta_1's active columns.
    void refresh_gemm_weights() {
        round_weights();
        const int active = static_cast<int>(active_.size()), full_cols = layout_.theta_cols(1);
        for (int r = 0; r < layout_.theta_rows(1); ++r) {
            T* row = theta1_active_.data() + static_cast<std::size_t>(r) * (active + 1);
            const T* full = gemm_theta(1) + static_cast<std::size_t>(r) * full_cols;
            row[0] = full[0];
            for (int k = 0; k < active; ++k) row[k + 1] = full[active_[static_cast<std::size_t>(k)] + 1];
        }
    }

    // Whether the training passes read Theta_1 through theta1_active_ (some feature is 0 in every
    // example) rather than the GEMMs' weights directly.
    bool uses_theta1_active() const { return static_cast<int>(active_.size()) != layout_.inputs(); }

    // The slices a batch of `size` is cut into, as make_slices cuts the training set.
    int batch_slice_count(int size) const { return std::max(1, std::min(thread_count(), size)); }

    // Batch slices for batches of up to `size` examples (made once; again only for a larger size).
    void reserve_batch(int size) {
        if (size <= batch_capacity_ && !batch_slices_.empty()) return;
        const int count = batch_slice_count(size);
        const int capacity = (size + count - 1) / count;
        batch_slices_.clear();
        batch_slices_.reserve(static_cast<std::size_t>(count));
        for (int s = 0; s < count; ++s)
            batch_slices_.emplace_back(layout_, typename Slice<T>::BatchOf{capacity}, static_cast<int>(active_.size()),
                                       mode_);
        batch_capacity_ = size;
        partials_.clear();
        for (const Slice<T>& slice : batch_slices_) partials_.push_back(slice.gradient.data());
        sum_scratch_.assign(static_cast<std::size_t>(count) * max_run_, T(0));
    }

    // Slice t of a batch of `size` rows (of `count` slices): its examples' rows and one-hot labels.
    void gather(int t, const int* rows, int size, int count) {
        Slice<T>& slice = batch_slices_[static_cast<std::size_t>(t)];
        const int begin = static_cast<int>(static_cast<long long>(size) * t / count);
        const int end = static_cast<int>(static_cast<long long>(size) * (t + 1) / count);
        slice.m = end - begin;
        const std::size_t n = active_.size(), stride = n + 1;
        // Row 0 of A_l^T (the bias units): a batch with fewer examples wrote its rows 1.. over it.
        for (std::size_t l = 1; l < slice.activations.size(); ++l) {
            std::fill_n(slice.activations[l].begin(), slice.m, T(1));
            if (!slice.gemm_activations.empty()) std::fill_n(slice.gemm_activations[l].begin(), slice.m, T(1));
        }
        T* a0 = slice.activations[0].data();
        const std::size_t outputs = static_cast<std::size_t>(layout_.classes()) * slice.m;
        std::fill_n(slice.one_hot.begin(), outputs, T(0));
        for (int i = 0; i < slice.m; ++i) {
            const auto row = static_cast<std::size_t>(rows[begin + i]);
            std::memcpy(a0 + static_cast<std::size_t>(i) * stride + 1, rows_.data() + row * n, n * sizeof(T));
            slice.one_hot[static_cast<std::size_t>(labels_[row]) * slice.m + i] = T(1);
        }
    }

    // The runs of the flat parameters the update walks (cpu_update.hpp): one per row part with the
    // same source and regularisation, in order.
    void make_update_runs() {
        runs_.clear();
        max_run_ = 1;
        const int active = static_cast<int>(active_.size());
        std::vector<int> column_of(static_cast<std::size_t>(layout_.inputs()), -1);  // feature -> active index
        for (int k = 0; k < active; ++k) column_of[static_cast<std::size_t>(active_[static_cast<std::size_t>(k)])] = k;
        const auto add = [&](std::size_t begin, std::ptrdiff_t source, bool regularised, bool first_layer) {
            if (!runs_.empty()) {
                UpdateRun& last = runs_.back();
                const bool contiguous =
                    (last.source < 0 && source < 0) ||
                    (last.source >= 0 && source == last.source + static_cast<std::ptrdiff_t>(last.n));
                if (contiguous && last.regularised == regularised && last.first_layer == first_layer &&
                    last.begin + last.n == begin) {
                    ++last.n;
                    return;
                }
            }
            runs_.push_back({begin, 1, source, regularised, first_layer});
        };
        for (int l = 1; l <= layout_.layers(); ++l) {
            const int rows = layout_.theta_rows(l), cols = layout_.theta_cols(l);
            const std::size_t offset = layout_.theta_offset(l);
            for (int r = 0; r < rows; ++r)
                for (int c = 0; c < cols; ++c) {
                    const std::size_t j = offset + static_cast<std::size_t>(r) * cols + c;
                    std::ptrdiff_t source = static_cast<std::ptrdiff_t>(j);
                    if (l == 1) {
                        const int k = c == 0 ? 0 : column_of[static_cast<std::size_t>(c - 1)];
                        source = k < 0 ? -1 : static_cast<std::ptrdiff_t>(r) * (active + 1) + (c == 0 ? 0 : k + 1);
                    }
                    add(j, source, c != 0, l == 1);
                }
        }
        // Rows end runs (the bias column starts each), so a run is at most a row.
        for (const UpdateRun& run : runs_) max_run_ = std::max(max_run_, run.n);
    }

    // The master thread's choice of the next step's batch and coefficients.
    void prepare_step() {
        const BatchWindow window = batch_window(step_, m_, run_.minibatch.batch);
        if (window.epoch != order_epoch_) {
            epoch_permutation(run_.minibatch.seed, window.epoch, m_, order_);
            order_epoch_ = window.epoch;
        }
        step_start_ = window.start;
        step_size_ = window.size;
        step_count_ = batch_slice_count(step_size_);
        // As the host-driven loop and compute() form them, to the bit.
        step_lambda_ = run_.lambda * step_size_ / m_;
        step_reg_ = static_cast<T>(step_lambda_ / step_size_);
        step_inverse_ = static_cast<T>(1.0 / step_size_);
        const double lr = run_.minibatch.learning_rate *
                          learning_rate_factor(run_.minibatch.schedule, step_, per_epoch_, total_steps_);
        if (run_.optimizer == Optimizer::Adam)
            adam_ = adam_coefficients<T>(run_.adam, lr, run_.minibatch.weight_decay, step_ + 1);
        else
            sgd_ = sgd_coefficients<T>(run_.sgd, lr, run_.minibatch.weight_decay);
    }

    // Thread t's share of the update (of `team`): the parameters [P t / team, P (t+1) / team),
    // run by run; returns their sum of squares before the update.
    double update_share(int t, int team) {
        const std::size_t total = theta_.size();
        const std::size_t begin = total * static_cast<std::size_t>(t) / static_cast<std::size_t>(team);
        const std::size_t end = total * static_cast<std::size_t>(t + 1) / static_cast<std::size_t>(team);
        const T* const* partials = partials_.data();
        const int count = step_count_;
        T* sum = sum_scratch_.data() + static_cast<std::size_t>(t) * max_run_;
        double squares = 0.0;
        const auto first_run = std::upper_bound(runs_.begin(), runs_.end(), begin,
                                                [](std::size_t j, const UpdateRun& run) { return j < run.begin; });
        for (auto it = first_run == runs_.begin() ? first_run : first_run - 1; it != runs_.end() && it->begin < end;
             ++it) {
            const std::size_t from = std::max(begin, it->begin), to = std::min(end, it->begin + it->n);
            if (from >= to) continue;
            const std::size_t skip = from - it->begin;
            const cpu::StepRun piece{it->source < 0 ? -1 : it->source + static_cast<std::ptrdiff_t>(skip), to - from,
                                     it->regularised};
            T* theta = theta_.data() + from;
            if (run_.optimizer == Optimizer::Adam)
                squares += cpu::adam_run(theta, first_.data() + from, second_.data() + from, partials, count, piece,
                                         step_reg_, step_inverse_, adam_, sum);
            else
                squares += cpu::sgd_run(theta, first_.data() + from, partials, count, piece, step_reg_, step_inverse_,
                                        sgd_, sum);
            // The GEMMs' copies of what changed.
            T* gemm = theta;
            if constexpr (std::is_same_v<T, float>) {
                if (mixed()) {
                    gemm = gemm_theta_.data() + from;
                    cpu::copy_rounded(mode_, theta, gemm, piece.n);
                }
            }
            if (it->first_layer && piece.source >= 0 && uses_theta1_active())
                std::memcpy(theta1_active_.data() + piece.source, gemm, piece.n * sizeof(T));
        }
        return squares;
    }

    Precision precision_;
    cpu::GemmInputs mode_;  // Exact, or the mixed precision's rounding of the GEMM inputs
    Layout layout_;
    int m_ = 0;  // 0 until a training set is attached
    std::vector<Slice<T>> slices_;
    std::vector<int> active_;       // the features not 0 in every training example, ascending
    std::vector<T> theta1_active_;  // Theta_1's bias column and active features' columns
    std::vector<T> theta_;          // flat, as Parameters
    std::vector<T> gemm_theta_;     // mixed precisions: theta_ rounded for the GEMMs, per pass
    std::vector<T> gradient_;       // flat, as Parameters

    // Mini-batches (see the top of the file).
    std::vector<T> rows_;      // the training set's active features, example-major (m x active)
    std::vector<int> labels_;  // its classes
    std::vector<Slice<T>> batch_slices_;
    int batch_capacity_ = 0;  // the largest batch batch_slices_ take
    struct UpdateRun {
        std::size_t begin, n;
        std::ptrdiff_t source;  // in the slices' gradient, or -1
        bool regularised, first_layer;
    };
    std::vector<UpdateRun> runs_;
    std::size_t max_run_ = 1;
    std::vector<T> sum_scratch_;      // max_run_ per thread
    std::vector<const T*> partials_;  // each batch slice's gradient
    // The loop's run and state.
    MiniBatchRun run_;
    std::vector<T> first_, second_;  // adam m and v; sgd's momentum buffer in first_
    std::int64_t step_ = 0, per_epoch_ = 1, total_steps_ = 0, order_epoch_ = -1;
    int batch_ = 1;
    std::vector<int> order_;
    // The step being taken (set by prepare_step).
    int step_start_ = 0, step_size_ = 0, step_count_ = 0;
    double step_lambda_ = 0.0;
    T step_reg_ = 0, step_inverse_ = 0;
    AdamCoefficients<T> adam_{};
    SgdCoefficients<T> sgd_{};
    std::vector<double> thread_squares_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(Precision precision, const Layout& layout) {
    if (precision == Precision::Double) return std::make_unique<CpuBackend<double>>(precision, layout);
    return std::make_unique<CpuBackend<float>>(precision, layout);
}

std::string blas_name() {
    // The config string starts "OpenBLAS 0.3.21 ..."; the core name says which kernels it picked.
    const std::string config = openblas_get_config();
    const std::string version = config.substr(0, config.find(' ', config.find(' ') + 1));
    return version + " (" + openblas_get_corename() + " kernels), " + std::to_string(thread_count()) + " threads";
}

}  // namespace digitnet
