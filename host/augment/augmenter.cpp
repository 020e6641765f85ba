#include "digitnet/augment/augmenter.hpp"

#include <algorithm>
#include <exception>
#include <thread>
#include <vector>

namespace digitnet {

Augmenter::Augmenter(const Dataset& train, const AugmentOptions& options, std::uint64_t seed)
    : train_(train), options_(options), seed_(seed), format_() {
    validate_augment_options(options_);
    format_ = image_format_of(train_);
}

ExampleTransform Augmenter::transform(int epoch, int index) const {
    CounterRandom random(seed_, static_cast<std::uint64_t>(epoch), static_cast<std::uint64_t>(index));
    return draw_transform(options_, format_, train_.X.row(index), random);
}

void Augmenter::augment_example(int epoch, int index, double* out) const {
    apply_transform(transform(epoch, index), format_, train_.X.row(index), out);
}

bool Augmenter::augment_epoch(int epoch, Dataset& out, int threads, std::stop_token stop) const {
    if (out.X.rows != train_.X.rows || out.X.cols != train_.X.cols)
        out.X = Matrix<double>(train_.X.rows, train_.X.cols);
    out.labels = train_.labels;
    out.classes = train_.classes;
    out.label_base = train_.label_base;
    out.image = train_.image;
    out.source = train_.source;

    const int m = train_.examples();
    threads = std::clamp(threads, 1, std::max(1, m));
    const auto run_block = [&](int first, int end) {
        for (int i = first; i < end; ++i) {
            if (stop.stop_requested()) return;
            augment_example(epoch, i, out.X.row(i));
        }
    };
    if (threads == 1) {
        run_block(0, m);
    } else {
        std::vector<std::exception_ptr> errors(static_cast<std::size_t>(threads));
        {
            std::vector<std::jthread> workers;
            for (int t = 0; t < threads; ++t) {
                const int first = static_cast<int>(static_cast<long long>(m) * t / threads);
                const int end = static_cast<int>(static_cast<long long>(m) * (t + 1) / threads);
                workers.emplace_back([&, t, first, end] {
                    try {
                        run_block(first, end);
                    } catch (...) {
                        errors[static_cast<std::size_t>(t)] = std::current_exception();
                    }
                });
            }
        }  // joined here
        for (const std::exception_ptr& error : errors)
            if (error) std::rethrow_exception(error);
    }
    return !stop.stop_requested();
}

}  // namespace digitnet
