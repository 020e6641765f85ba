#pragma once
// Which examples each process owns: rank r of N owns rows [floor(r m / N), floor((r+1) m / N)),
// so shards differ in size by at most one and together cover every row once, in order.
#include <cstdint>

#include "digitnet/model/dataset.hpp"

namespace digitnet {

struct RowRange {
    int first = 0;
    int count = 0;
    int end() const { return first + count; }
};

inline RowRange shard_rows(int total, int rank, int size) {
    const auto at = [&](int r) { return static_cast<int>(std::int64_t{total} * r / size); };
    return {at(rank), at(rank + 1) - at(rank)};
}

// The rows [range.first, range.end()) of `data`, with everything else (classes, label base,
// image shape, source) as it was.
Dataset take_rows(const Dataset& data, RowRange range);

}  // namespace digitnet
