// The CPU reference against the seed's own numbers and against the formulas it implements.
#include <gtest/gtest.h>

#include <cmath>

#include "digitnet/io/mat_io.hpp"
#include "digitnet/model/backend.hpp"
#include "digitnet/model/cpu_reference.hpp"
#include "digitnet/model/gradient_check.hpp"
#include "test_util.hpp"

namespace digitnet {
namespace {

TEST(Reference, SoftplusCostTermEqualsTheLogFormWhereFinite) {
    // Beyond |z| ~ 15 the seed's form itself loses digits to 1 - h; the softplus form does not.
    for (double z : {-14.0, -5.0, -0.3, 0.0, 0.7, 4.0, 12.0})
        for (double y : {0.0, 1.0}) {
            const double h = reference::sigmoid(z);
            const double seed_form = -y * std::log(h) - (1 - y) * std::log(1 - h);
            EXPECT_NEAR(reference::output_cost_term(z, y), seed_form, 1e-8 * (1 + std::abs(seed_form)))
                << "z=" << z << " y=" << y;
        }
}

TEST(Reference, SaturatedOutputsGiveAFiniteCost) {
    // The seed's log(1 - h) is -inf once h rounds to 1; the softplus form stays finite and exact.
    EXPECT_DOUBLE_EQ(reference::output_cost_term(800.0, 0.0), 800.0);
    EXPECT_DOUBLE_EQ(reference::output_cost_term(-800.0, 1.0), 800.0);
    EXPECT_DOUBLE_EQ(reference::output_cost_term(800.0, 1.0), 0.0);

    CheckProblem problem = small_check_problem();
    for (double& w : problem.parameters.values) w *= 1e4;
    Parameters gradient;
    const double cost = reference::cost_and_gradient(problem.parameters, problem.data, 1.0, &gradient);
    EXPECT_TRUE(std::isfinite(cost));
    for (double g : gradient.values) EXPECT_TRUE(std::isfinite(g));
}

TEST(Reference, ForwardShapes) {
    const CheckProblem problem = small_check_problem({5, 4});
    const reference::Activations act = reference::forward(problem.parameters, problem.data.X.row(0));
    ASSERT_EQ(act.a.size(), 4u);
    EXPECT_EQ(act.a[0].size(), 4u);  // [1, x]
    EXPECT_EQ(act.a[1].size(), 6u);  // [1, sigmoid(z1)]
    EXPECT_EQ(act.a[2].size(), 5u);
    EXPECT_EQ(act.a[3].size(), 3u);  // h, no bias
    EXPECT_EQ(act.a[1][0], 1.0);
    EXPECT_DOUBLE_EQ(act.a[3][1], reference::sigmoid(act.z[3][1]));
}

TEST(Reference, RegularisationSkipsTheBiasColumn) {
    CheckProblem problem = small_check_problem();
    Parameters g0, g1;
    const double j0 = reference::cost_and_gradient(problem.parameters, problem.data, 0.0, &g0);
    const double j1 = reference::cost_and_gradient(problem.parameters, problem.data, 3.0, &g1);
    const Layout& layout = problem.parameters.layout;
    const double m = problem.data.examples();
    double squares = 0;
    for (int l = 1; l <= layout.layers(); ++l)
        for (int r = 0; r < layout.theta_rows(l); ++r)
            for (int c = 0; c < layout.theta_cols(l); ++c) {
                const double w = problem.parameters.at(l, r, c);
                const double expected = c == 0 ? 0.0 : 3.0 / m * w;
                EXPECT_NEAR(g1.at(l, r, c) - g0.at(l, r, c), expected, 1e-15);
                if (c > 0) squares += w * w;
            }
    EXPECT_NEAR(j1 - j0, 3.0 / (2 * m) * squares, 1e-14);
}

TEST(Reference, Ex4WeightsOnDigits20) {
    if (!testing::have_ex4weights()) GTEST_SKIP() << "no " << testing::ex4weights_path();
    const Parameters theta = load_weights(testing::ex4weights_path());
    const DataFile file = load_mat_data(testing::digits20_path());
    // DESIGN.md: cost 0.283679 at lambda 0 and 0.379820 at lambda 1, 97.6% predicted right.
    EXPECT_NEAR(reference::cost_and_gradient(theta, file.train, 0.0, nullptr), 0.283679, 1e-6);
    EXPECT_NEAR(reference::cost_and_gradient(theta, file.train, 1.0, nullptr), 0.379820, 1e-6);
    EXPECT_NEAR(accuracy(predict_classes(reference::output(theta, file.train.X)), file.train.labels), 0.976, 5e-4);
}

}  // namespace
}  // namespace digitnet
