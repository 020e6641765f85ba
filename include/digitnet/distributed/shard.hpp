#pragma once
// Which examples each process owns: rank r of N owns rows [floor(r m / N), floor((r+1) m / N)),
// so shards differ in size by at most one and together cover every row once, in order.
#include <cstdint>

#include "digitnet/model/dataset.hpp"

namespace digitnet {

inline RowRange shard_rows(int total, int rank, int size) {
    const auto at = [&](int r) { return static_cast<int>(std::int64_t{total} * r / size); };
    return {at(rank), at(rank + 1) - at(rank)};
}

}  // namespace digitnet
