// The CPU backend: the mathematics of DESIGN.md as OpenBLAS GEMMs plus tight loops.
//
// Layout. Everything is stored feature-major ("transposed"): activations A_l^T are
// (s_l + 1) x m row-major, one row per unit and one column per example, row 0 the bias units.
// Every GEMM then has the small layer size as M and the m examples as N or K, which is the
// shape OpenBLAS runs fast (DESIGN.md: (25 x 401)(401 x 5000) ran at ~93 GFLOP/s where
// (5000 x 401)(401 x 25) ran at ~33 on a 2-core machine).
#include "digitnet/cpu_backend.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "digitnet/errors.hpp"

namespace digitnet {

namespace {

// C = alpha op(A) op(B) + beta C, all row-major; picks sgemm or dgemm by T.
template <class T>
void gemm(CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, int M, int N, int K, T alpha, const T* A,
          int lda, const T* B, int ldb, T beta, T* C, int ldc) {
    if constexpr (std::is_same_v<T, float>)
        cblas_sgemm(CblasRowMajor, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    else
        cblas_dgemm(CblasRowMajor, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

template <class T>
T sigmoid(T z) {
    return T(1) / (T(1) + std::exp(-z));
}

// Per-layer buffers for one batch of m examples.
template <class T>
struct Workspace {
    int m = 0;
    std::vector<std::vector<T>> activations;  // [l]: A_l^T, (s_l + 1) x m, row 0 ones; l = 0..L-1
    std::vector<T> z_out;                     // z_L^T, K x m

    Workspace(const Layout& layout, int m_) : m(m_), activations(static_cast<std::size_t>(layout.layers())) {
        for (int l = 0; l < layout.layers(); ++l) {
            auto& a = activations[static_cast<std::size_t>(l)];
            a.assign(static_cast<std::size_t>(layout.sizes[l] + 1) * m, T(0));
            std::fill_n(a.begin(), m, T(1));
        }
        z_out.assign(static_cast<std::size_t>(layout.classes()) * m, T(0));
    }
};

// A_0^T = [1; X^T]: (s0 + 1) x m from X (m x s0).
template <class T>
void load_inputs(const Matrix<double>& X, Workspace<T>& ws) {
    const int m = X.rows;
    T* a0 = ws.activations[0].data();
    for (int i = 0; i < m; ++i) {
        const double* x = X.row(i);
        for (int j = 0; j < X.cols; ++j) a0[static_cast<std::size_t>(j + 1) * m + i] = static_cast<T>(x[j]);
    }
}

template <class T>
class CpuBackend final : public Backend {
public:
    CpuBackend(Precision precision, const Layout& layout, const Dataset& train)
        : precision_(precision), layout_(layout), train_(layout, train.examples()) {
        if (train.features() != layout.inputs())
            throw InputError(train.source + ": the data has " + std::to_string(train.features()) +
                             " features but the network takes " + std::to_string(layout.inputs()));
        if (train.classes > layout.classes())
            throw InputError(train.source + ": the data has " + std::to_string(train.classes) +
                             " classes but the network outputs " + std::to_string(layout.classes()));
        const int m = train.examples();
        load_inputs(train.X, train_);
        one_hot_.assign(static_cast<std::size_t>(layout.classes()) * m, T(0));
        for (int i = 0; i < m; ++i) one_hot_[static_cast<std::size_t>(train.labels[static_cast<std::size_t>(i)]) * m + i] = T(1);
        theta_.assign(layout.parameter_count(), T(0));
        gradient_.assign(layout.parameter_count(), T(0));
        deltas_.resize(static_cast<std::size_t>(layout.layers()) + 1);
        for (int l = 1; l <= layout.layers(); ++l)
            deltas_[static_cast<std::size_t>(l)].assign(static_cast<std::size_t>(layout.sizes[l]) * m, T(0));
    }

    std::string device_name() const override { return "cpu (" + blas_name() + ")"; }
    Device device() const override { return Device::Cpu; }
    Precision precision() const override { return precision_; }
    const Layout& layout() const override { return layout_; }
    int examples() const override { return train_.m; }

    void set_parameters(const Parameters& parameters) override {
        if (!(parameters.layout == layout_))
            throw InputError("parameters of layout " + parameters.layout.describe() + " do not fit network " + layout_.describe());
        std::transform(parameters.values.begin(), parameters.values.end(), theta_.begin(),
                       [](double v) { return static_cast<T>(v); });
    }

    Parameters parameters() const override {
        Parameters p(layout_);
        std::copy(theta_.begin(), theta_.end(), p.values.begin());
        return p;
    }

    double cost_and_gradient(double lambda, Parameters* gradient) override {
        const double cost = compute(lambda, gradient != nullptr);
        if (gradient) {
            *gradient = Parameters(layout_);
            std::copy(gradient_.begin(), gradient_.end(), gradient->values.begin());
        }
        return cost;
    }

    std::vector<double> gradient_descent(const GradientDescentOptions& options,
                                         const TrainingObserver& observer) override {
        std::vector<double> history;
        history.reserve(static_cast<std::size_t>(options.iterations));
        const T alpha = static_cast<T>(options.alpha);
        for (int it = 0; it < options.iterations; ++it) {
            if (observer.stop_requested && observer.stop_requested->load()) break;
            history.push_back(compute(options.lambda, true));
            // Theta -= alpha * grad
            T* theta = theta_.data();
            const T* grad = gradient_.data();
            for (std::size_t j = 0; j < theta_.size(); ++j) theta[j] -= alpha * grad[j];
            if (observer.on_progress) observer.on_progress(it + 1, history.back());
        }
        return history;
    }

    Matrix<double> output(const Matrix<double>& X) override {
        if (X.cols != layout_.inputs())
            throw InputError("the data has " + std::to_string(X.cols) + " features but the network takes " +
                             std::to_string(layout_.inputs()));
        Workspace<T> ws(layout_, X.rows);
        load_inputs(X, ws);
        forward(ws);
        const int m = X.rows, K = layout_.classes();
        Matrix<double> h(m, K);
        for (int k = 0; k < K; ++k)
            for (int i = 0; i < m; ++i) h(i, k) = static_cast<double>(sigmoid(ws.z_out[static_cast<std::size_t>(k) * m + i]));
        return h;
    }

private:
    const T* theta(int l) const { return theta_.data() + layout_.theta_offset(l); }
    T* gradient(int l) { return gradient_.data() + layout_.theta_offset(l); }

    // For l = 1..L: z_l^T (s_l x m) = Theta_l (s_l x (s_(l-1)+1)) A_(l-1)^T ((s_(l-1)+1) x m).
    // Hidden layers write z straight into rows 1.. of A_l^T and apply the sigmoid in place.
    void forward(Workspace<T>& ws) const {
        const int L = layout_.layers(), m = ws.m;
        for (int l = 1; l <= L; ++l) {
            const int rows = layout_.theta_rows(l), cols = layout_.theta_cols(l);
            const T* below = ws.activations[static_cast<std::size_t>(l - 1)].data();
            T* z = l < L ? ws.activations[static_cast<std::size_t>(l)].data() + m : ws.z_out.data();
            gemm<T>(CblasNoTrans, CblasNoTrans, rows, m, cols, T(1), theta(l), cols, below, m, T(0), z, m);
            if (l < L) {
                const std::size_t n = static_cast<std::size_t>(rows) * m;
                for (std::size_t j = 0; j < n; ++j) z[j] = sigmoid(z[j]);
            }
        }
    }

    double compute(double lambda, bool want_gradient) {
        const int L = layout_.layers(), K = layout_.classes(), m = train_.m;
        forward(train_);

        // Cost terms from z_L (softplus form) and d_L = h - Y, both K x m.
        double cost_sum = 0.0;
        T* delta_out = deltas_[static_cast<std::size_t>(L)].data();
        const std::size_t n_out = static_cast<std::size_t>(K) * m;
        for (std::size_t j = 0; j < n_out; ++j) {
            const T z = train_.z_out[j], y = one_hot_[j];
            cost_sum += static_cast<double>(std::max(z, T(0)) - y * z + std::log1p(std::exp(-std::abs(z))));
            delta_out[j] = sigmoid(z) - y;
        }
        double squares = 0.0;
        for (int l = 1; l <= L; ++l) {
            const int rows = layout_.theta_rows(l), cols = layout_.theta_cols(l);
            for (int r = 0; r < rows; ++r)
                for (int c = 1; c < cols; ++c) {
                    const double w = theta(l)[static_cast<std::size_t>(r) * cols + c];
                    squares += w * w;
                }
        }
        const double cost = cost_sum / m + lambda / (2.0 * m) * squares;
        if (!want_gradient) return cost;

        for (int l = L; l >= 1; --l) {
            const int rows = layout_.theta_rows(l), cols = layout_.theta_cols(l);
            const T* delta = deltas_[static_cast<std::size_t>(l)].data();
            const T* below = train_.activations[static_cast<std::size_t>(l - 1)].data();

            // grad_l = (1/m) d_l^T A_(l-1) + (lambda/m) [0, Theta_l[:,1:]]: start from the
            // regularisation term, then one GEMM with beta = 1. With d_l^T stored (s_l x m) and
            // A_(l-1)^T stored ((s_(l-1)+1) x m), the product is d^T (A^T)^T: B transposed.
            T* grad = gradient(l);
            const T reg = static_cast<T>(lambda / m);
            for (int r = 0; r < rows; ++r) {
                grad[static_cast<std::size_t>(r) * cols] = T(0);
                for (int c = 1; c < cols; ++c)
                    grad[static_cast<std::size_t>(r) * cols + c] = reg * theta(l)[static_cast<std::size_t>(r) * cols + c];
            }
            gemm<T>(CblasNoTrans, CblasTrans, rows, cols, m, static_cast<T>(1.0 / m), delta, m, below, m, T(1), grad, cols);
            if (l == 1) break;

            // d_(l-1)^T (s_(l-1) x m) = Theta_l[:,1:]^T (s_(l-1) x s_l) d_l^T (s_l x m), then times
            // a(1-a) of the layer below. Theta_l[:,1:] starts one element in, with row stride cols.
            const int below_units = layout_.sizes[l - 1];
            T* delta_below = deltas_[static_cast<std::size_t>(l - 1)].data();
            gemm<T>(CblasTrans, CblasNoTrans, below_units, m, rows, T(1), theta(l) + 1, cols, delta, m, T(0), delta_below, m);
            const T* a = below + m;  // skip the bias row
            const std::size_t n = static_cast<std::size_t>(below_units) * m;
            for (std::size_t j = 0; j < n; ++j) delta_below[j] *= a[j] * (T(1) - a[j]);
        }
        return cost;
    }

    Precision precision_;
    Layout layout_;
    Workspace<T> train_;
    std::vector<T> one_hot_;                  // Y^T, K x m
    std::vector<T> theta_;                    // flat, as Parameters
    std::vector<T> gradient_;                 // flat, as Parameters
    std::vector<std::vector<T>> deltas_;      // [l]: d_l^T, s_l x m; l = 1..L
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(Precision precision, const Layout& layout, const Dataset& train) {
    if (precision == Precision::Double) return std::make_unique<CpuBackend<double>>(precision, layout, train);
    return std::make_unique<CpuBackend<float>>(precision, layout, train);
}

std::string blas_name() {
    // The config string starts "OpenBLAS 0.3.21 ..."; the core name says which kernels it picked.
    const std::string config = openblas_get_config();
    const std::string version = config.substr(0, config.find(' ', config.find(' ') + 1));
    return version + " (" + openblas_get_corename() + " kernels, " + std::to_string(openblas_get_num_threads()) +
           " threads)";
}

}  // namespace digitnet
