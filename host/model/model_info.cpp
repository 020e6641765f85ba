#include "digitnet/model/model_info.hpp"

#include <algorithm>
#include <map>

namespace digitnet {

ModelInfo default_model_info(int inputs) {
    ModelInfo info;
    info.image = square_image(inputs, /*column_major=*/true);
    return info;
}

ModelInfo model_info_for(const Dataset& train) {
    ModelInfo info;
    info.label_base = train.label_base;
    info.image = train.image;
    // Sample at most ~1000 examples: the levels are statistics, not sums.
    const int step = std::max(1, train.examples() / 1000);
    std::vector<double> pixels;
    std::map<double, int> border_counts;
    for (int i = 0; i < train.examples(); i += step) {
        const double* x = train.X.row(i);
        pixels.insert(pixels.end(), x, x + train.features());
        if (info.image.rows == 0) continue;
        for (int r = 0; r < info.image.rows; ++r)
            for (int c = 0; c < info.image.cols; ++c) {
                if (r != 0 && c != 0 && r != info.image.rows - 1 && c != info.image.cols - 1) continue;
                const int index = info.image.column_major ? c * info.image.rows + r : r * info.image.cols + c;
                ++border_counts[x[index]];
            }
    }
    if (pixels.empty()) return info;
    const auto percentile = [&](double p) {
        std::vector<double> sorted = pixels;
        const auto k = static_cast<std::ptrdiff_t>(p * double(sorted.size() - 1));
        std::nth_element(sorted.begin(), sorted.begin() + k, sorted.end());
        return sorted[static_cast<std::size_t>(k)];
    };
    if (!border_counts.empty())
        info.background = std::max_element(border_counts.begin(), border_counts.end(),
                                           [](const auto& a, const auto& b) { return a.second < b.second; })->first;
    else
        info.background = percentile(0.5);
    info.ink = percentile(0.99);
    if (info.ink == info.background) info.ink = info.background + 1.0;
    return info;
}

}  // namespace digitnet
