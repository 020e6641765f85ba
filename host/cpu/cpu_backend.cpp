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
#include "digitnet/cpu/cpu_backend.hpp"

#include <cblas.h>

#include <algorithm>
#include <type_traits>

#include "cpu_elementwise.hpp"
#include "cpu_slices.hpp"
#include "digitnet/errors.hpp"
#include "gemm_inputs.hpp"

namespace digitnet {

namespace {

using cpu::FlushDenormals;
using cpu::gemm;
using cpu::make_slices;
using cpu::Slice;
using cpu::thread_count;

template <class T>
class CpuBackend final : public Backend, public GradientDescentLoop {
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
        owner_.clear();
        for (const Slice<T>& slice : slices_) {
            for (int i = 0; i < slice.m; ++i) owner_.push_back({static_cast<int>(&slice - slices_.data()), i});
        }
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
        // Gathered from the training slices, where the examples already are in T.
        auto located = [&](int i) { return owner_[static_cast<std::size_t>(rows[static_cast<std::size_t>(i)])]; };
        std::vector<Slice<T>> batch = make_slices<T>(
            layout_, static_cast<int>(rows.size()), static_cast<int>(active_.size()),
            [&](int i, int j) {
                return slices_[static_cast<std::size_t>(located(i).slice)].input(located(i).index, j);
            },
            [&](int i) {
                return slices_[static_cast<std::size_t>(located(i).slice)].label(located(i).index, layout_.classes());
            },
            true, mode_);
        const double cost = compute(batch, static_cast<int>(rows.size()), lambda, gradient != nullptr);
        if (gradient) {
            *gradient = Parameters(layout_);
            std::copy(gradient_.begin(), gradient_.end(), gradient->values.begin());
        }
        return cost;
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
        slice.cost_sum =
            layout_.output == Output::Softmax
                ? cpu::softmax_output_delta_cost(slice.z_out.data(), slice.one_hot.data(), delta_out, layout_.classes(),
                                                 static_cast<std::size_t>(m))
                : cpu::output_delta_cost(slice.z_out.data(), slice.one_hot.data(), delta_out, slice.z_out.size());
        if (!want_gradient) return;
        round_in_place(delta_out, slice.z_out.size());
        for (int l = L; l >= 1; --l) {
            const int rows = layout_.theta_rows(l), cols = cols_for(slice, l);
            const T* delta = slice.deltas[static_cast<std::size_t>(l)].data();
            const T* below = gemm_activation(slice, l - 1);
            // d_l^T A_(l-1): d^T is stored (s_l x m) and A_(l-1)^T ((s_(l-1)+1) x m), so the
            // product is d^T (A^T)^T, B transposed; (s_l x (s_(l-1)+1)), Theta_l's shape.
            T* gradient = slice.gradient.data() + layout_.theta_offset(l);
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
    double compute(std::vector<Slice<T>>& slices, int examples, double lambda, bool want_gradient) {
        round_weights();
        const int active = static_cast<int>(active_.size()), full_cols = layout_.theta_cols(1);
        for (int r = 0; r < layout_.theta_rows(1); ++r) {
            T* row = theta1_active_.data() + static_cast<std::size_t>(r) * (active + 1);
            const T* full = gemm_theta(1) + static_cast<std::size_t>(r) * full_cols;
            row[0] = full[0];
            for (int k = 0; k < active; ++k) row[k + 1] = full[active_[static_cast<std::size_t>(k)] + 1];
        }
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

    Precision precision_;
    cpu::GemmInputs mode_;  // Exact, or the mixed precision's rounding of the GEMM inputs
    Layout layout_;
    int m_ = 0;  // 0 until a training set is attached
    std::vector<Slice<T>> slices_;
    struct Location {
        int slice, index;
    };
    std::vector<Location> owner_;   // where training example i lives among the slices
    std::vector<int> active_;       // the features not 0 in every training example, ascending
    std::vector<T> theta1_active_;  // Theta_1's bias column and active features' columns
    std::vector<T> theta_;          // flat, as Parameters
    std::vector<T> gemm_theta_;     // mixed precisions: theta_ rounded for the GEMMs, per pass
    std::vector<T> gradient_;       // flat, as Parameters
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
