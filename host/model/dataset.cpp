#include "digitnet/model/dataset.hpp"

#include <algorithm>
#include <cmath>

#include "digitnet/errors.hpp"

namespace digitnet {

Dataset take_rows(const Dataset& data, RowRange range) {
    Dataset shard;
    shard.classes = data.classes;
    shard.label_base = data.label_base;
    shard.image = data.image;
    shard.source = data.source;
    shard.X = Matrix<double>(range.count, data.features());
    const auto first = data.X.data.begin() + static_cast<std::ptrdiff_t>(range.first) * data.features();
    std::copy(first, first + static_cast<std::ptrdiff_t>(range.count) * data.features(), shard.X.data.begin());
    shard.labels.assign(data.labels.begin() + range.first, data.labels.begin() + range.end());
    return shard;
}

void validate_dataset(const Dataset& data, const std::string& where) {
    if (data.X.rows == 0 || data.X.cols == 0)
        throw InputError(where + ": the data set is empty (X is " + std::to_string(data.X.rows) + " x " +
                         std::to_string(data.X.cols) + ")");
    if (data.labels.size() != static_cast<std::size_t>(data.X.rows))
        throw InputError(where + ": X has " + std::to_string(data.X.rows) + " examples but y has " +
                         std::to_string(data.labels.size()) + " labels");
    if (data.classes < 2) throw InputError(where + ": need at least 2 classes, found " + std::to_string(data.classes));
    for (std::size_t i = 0; i < data.X.data.size(); ++i) {
        if (!std::isfinite(data.X.data[i])) {
            const auto row = i / static_cast<std::size_t>(data.X.cols), col = i % static_cast<std::size_t>(data.X.cols);
            throw InputError(where + ": X has " + (std::isnan(data.X.data[i]) ? "a NaN" : "an infinite value") +
                             " at row " + std::to_string(row + 1) + ", column " + std::to_string(col + 1));
        }
    }
    for (std::size_t i = 0; i < data.labels.size(); ++i) {
        if (data.labels[i] < 0 || data.labels[i] >= data.classes)
            throw InputError(where + ": label " + std::to_string(data.labels[i] + data.label_base) + " of example " +
                             std::to_string(i + 1) + " is outside " + std::to_string(data.label_base) + ".." +
                             std::to_string(data.classes - 1 + data.label_base));
    }
}

ImageShape square_image(int features, bool column_major) {
    const int side = static_cast<int>(std::lround(std::sqrt(double(features))));
    if (side * side != features) return {};
    return {side, side, column_major};
}

}  // namespace digitnet
