// The augmented epochs: each example's distortion a function of (seed, epoch, index) alone, so the
// same on any number of threads and in every run, new every epoch; and the background producer,
// which must hand out exactly those epochs, pass on its worker's errors and stop when dropped.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "augment_test_data.hpp"
#include "digitnet/augment/augmented_epochs.hpp"
#include "digitnet/augment/augmenter.hpp"
#include "digitnet/augment/counter_random.hpp"

namespace digitnet {
namespace {

using testing::some_digits;

TEST(AugmentEpochs, TheSameOnOneAndTwoThreadsAndInEveryRun) {
    const Dataset digits = some_digits(500);
    Dataset one, two, again;
    ASSERT_TRUE(Augmenter(digits, AugmentOptions{}, 42).augment_epoch(4, one, 1));
    ASSERT_TRUE(Augmenter(digits, AugmentOptions{}, 42).augment_epoch(4, two, 2));
    ASSERT_TRUE(Augmenter(digits, AugmentOptions{}, 42).augment_epoch(4, again, 3));
    EXPECT_EQ(one.X.data, two.X.data);  // bit for bit
    EXPECT_EQ(one.X.data, again.X.data);
    EXPECT_NE(one.X.data, digits.X.data);
    // One example alone is the same as within its epoch.
    const Augmenter augmenter(digits, AugmentOptions{}, 42);
    std::vector<double> alone(400);
    augmenter.augment_example(4, 317, alone.data());
    EXPECT_EQ(alone, std::vector<double>(one.X.row(317), one.X.row(317) + 400));
}

TEST(AugmentEpochs, EveryEpochAndEverySeedIsNew) {
    const Dataset digits = some_digits(200);
    const Augmenter augmenter(digits, AugmentOptions{}, 42);
    Dataset e0, e1, other_seed;
    ASSERT_TRUE(augmenter.augment_epoch(0, e0));
    ASSERT_TRUE(augmenter.augment_epoch(1, e1));
    ASSERT_TRUE(Augmenter(digits, AugmentOptions{}, 43).augment_epoch(0, other_seed));
    for (int i = 0; i < digits.examples(); ++i) {
        const std::vector<double> a(e0.X.row(i), e0.X.row(i) + 400), b(e1.X.row(i), e1.X.row(i) + 400),
            c(other_seed.X.row(i), other_seed.X.row(i) + 400);
        EXPECT_NE(a, b) << "example " << i;
        EXPECT_NE(a, c) << "example " << i;
    }
    EXPECT_EQ(e1.labels, digits.labels);
    // The transforms' numbers differ between examples too (no two share a shift).
    EXPECT_NE(augmenter.transform(0, 0).shift_row, augmenter.transform(0, 1).shift_row);
}

TEST(AugmentEpochs, CounterRandomIsUniformAndKeyedByAllThree) {
    CounterRandom random(1, 2, 3);
    double sum = 0, sum_squares = 0;
    constexpr int kCount = 100000;
    for (int k = 0; k < kCount; ++k) {
        const double u = random.uniform();
        ASSERT_TRUE(u >= 0 && u < 1);
        sum += u, sum_squares += u * u;
    }
    EXPECT_NEAR(sum / kCount, 0.5, 0.005);
    EXPECT_NEAR(sum_squares / kCount - 0.25, 1.0 / 12, 0.002);  // the variance, mean aside
    const auto first = [](std::uint64_t s, std::uint64_t e, std::uint64_t i) {
        return CounterRandom(s, e, i).next_bits();
    };
    EXPECT_EQ(first(1, 2, 3), first(1, 2, 3));
    EXPECT_NE(first(1, 2, 3), first(1, 3, 2));
    EXPECT_NE(first(1, 2, 3), first(2, 1, 3));
    EXPECT_NE(first(0, 0, 1), first(0, 1, 0));
}

TEST(AugmentEpochs, TheProducerDeliversTheForegroundEpochs) {
    const Dataset digits = some_digits(300);
    AugmentOptions options;
    options.strength = 1.5;
    const Augmenter foreground(digits, options, 9);
    for (int threads : {1, 2}) {
        AugmentedEpochs epochs(digits, options, 9, threads);
        for (int epoch = 0; epoch < 4; ++epoch) {
            Dataset expected;
            ASSERT_TRUE(foreground.augment_epoch(epoch, expected));
            const Dataset& got = epochs.next();
            EXPECT_EQ(got.X.data, expected.X.data) << "epoch " << epoch << ", " << threads << " threads";
            EXPECT_EQ(got.labels, digits.labels);
        }
    }
}

TEST(AugmentEpochs, TheProducersDestructorStopsMidEpoch) {
    // A maker that would never finish on its own: the destructor must stop it and return.
    std::atomic<bool> started{false}, saw_stop{false};
    {
        AugmentedEpochs epochs([&](int, Dataset&, std::stop_token stop) {
            started = true;
            while (!stop.stop_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
            saw_stop = true;
            return false;
        });
        while (!started) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_TRUE(saw_stop);

    // The real augmenter on a set whose epoch takes a while: dropped mid-epoch, it returns long
    // before the epoch would have ended.
    Dataset big = some_digits(4000);
    const auto start = std::chrono::steady_clock::now();
    Dataset full;
    ASSERT_TRUE(Augmenter(big, AugmentOptions{}, 1).augment_epoch(0, full));
    const auto epoch_time = std::chrono::steady_clock::now() - start;
    std::optional<AugmentedEpochs> epochs;
    epochs.emplace(big, AugmentOptions{}, 1);
    std::this_thread::sleep_for(epoch_time / 10);
    const auto before = std::chrono::steady_clock::now();
    epochs.reset();
    const auto destroy_time = std::chrono::steady_clock::now() - before;
    EXPECT_LT(destroy_time, epoch_time / 4);
}

TEST(AugmentEpochs, TheWorkersErrorsComeOutOfNext) {
    AugmentedEpochs epochs([](int epoch, Dataset& out, std::stop_token) {
        if (epoch == 1) throw std::runtime_error("disk on fire in epoch 1");
        out = some_digits(3);
        return true;
    });
    EXPECT_EQ(epochs.next().examples(), 3);
    try {
        epochs.next();
        FAIL() << "no exception";
    } catch (const std::runtime_error& error) {
        EXPECT_STREQ(error.what(), "disk on fire in epoch 1");
    }
    EXPECT_THROW(epochs.next(), std::runtime_error);  // and stays failed
}

}  // namespace
}  // namespace digitnet
