#include <gtest/gtest.h>

#include <cmath>

#include "digitnet/errors.hpp"
#include "digitnet/model/layout.hpp"

namespace digitnet {
namespace {

TEST(Layout, SeedShapesAndOffsets) {
    const Layout layout = make_layout(400, {25}, 10);
    EXPECT_EQ(layout.layers(), 2);
    EXPECT_EQ(layout.theta_rows(1), 25);
    EXPECT_EQ(layout.theta_cols(1), 401);
    EXPECT_EQ(layout.theta_rows(2), 10);
    EXPECT_EQ(layout.theta_cols(2), 26);
    EXPECT_EQ(layout.theta_offset(1), 0u);
    EXPECT_EQ(layout.theta_offset(2), 25u * 401u);
    EXPECT_EQ(layout.parameter_count(), 25u * 401u + 10u * 26u);
    EXPECT_EQ(layout.describe(), "400-25-10");
}

TEST(Layout, SeveralHiddenLayers) {
    const Layout layout = make_layout(3, {7, 1, 130}, 4);
    EXPECT_EQ(layout.describe(), "3-7-1-130-4");
    EXPECT_EQ(layout.parameter_count(), 7u * 4 + 1u * 8 + 130u * 2 + 4u * 131);
    Parameters p(layout);
    p.at(3, 129, 1) = 5.0;
    EXPECT_EQ(p.values[layout.theta_offset(3) + 129 * 2 + 1], 5.0);
}

TEST(Layout, RejectsEmptyLayers) {
    EXPECT_THROW(make_layout(400, {0}, 10), InputError);
    EXPECT_THROW(make_layout(0, {25}, 10), InputError);
    EXPECT_THROW(make_layout(400, {25, -3}, 10), InputError);
}

TEST(RandomInit, WithinEpsilonAndRepeatable) {
    const Layout layout = make_layout(400, {25}, 10);
    const Parameters a = random_parameters(layout, 42), b = random_parameters(layout, 42),
                     c = random_parameters(layout, 43);
    EXPECT_EQ(a.values, b.values);
    EXPECT_NE(a.values, c.values);
    for (int l = 1; l <= layout.layers(); ++l) {
        const double epsilon = std::sqrt(6.0) / std::sqrt(double(layout.sizes[l - 1] + layout.sizes[l]));
        double largest = 0, sum = 0;
        for (double w : a.theta(l)) {
            largest = std::max(largest, std::abs(w));
            sum += w;
        }
        EXPECT_LE(largest, epsilon);
        EXPECT_GT(largest, 0.9 * epsilon) << "values should fill [-e, e]";
        EXPECT_LT(std::abs(sum / double(a.theta(l).size())), 0.1 * epsilon) << "values should be centred on 0";
    }
}

}  // namespace
}  // namespace digitnet
