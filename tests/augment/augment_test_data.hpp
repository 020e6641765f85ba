#pragma once
// The data the augmentation tests distort: digits20's training digits (column-major 20x20), and
// a plain row-major image to draw exact shapes in.
#include <string>

#include "digitnet/augment/example_transform.hpp"
#include "digitnet/io/data_loader.hpp"
#include "digitnet/model/dataset.hpp"

namespace digitnet::testing {

inline const Dataset& digits20_train() {
    static const Dataset train = load_data(std::string(DIGITNET_SOURCE_DIR) + "/data/digits20.mat").train;
    return train;
}

// The first `count` examples of digits20's training set (every tenth digit, so all classes).
inline Dataset some_digits(int count) {
    const Dataset& all = digits20_train();
    Dataset some = all;
    some.X = Matrix<double>(count, all.features());
    some.labels.assign(static_cast<std::size_t>(count), 0);
    for (int i = 0; i < count; ++i) {
        const int from = (i * 10) % all.examples() + (i * 10) / all.examples();
        for (int j = 0; j < all.features(); ++j) some.X(i, j) = all.X(from, j);
        some.labels[static_cast<std::size_t>(i)] = all.labels[static_cast<std::size_t>(from)];
    }
    return some;
}

inline double pixel(const double* x, const ImageShape& shape, int r, int c) {
    return x[shape.column_major ? c * shape.rows + r : r * shape.cols + c];
}

}  // namespace digitnet::testing
