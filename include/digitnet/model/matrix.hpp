#pragma once
// A plain dense row-major matrix on the host. Deliberately minimal: storage and indexing only.
#include <cstddef>
#include <vector>

namespace digitnet {

template <class T>
struct Matrix {
    int rows = 0;
    int cols = 0;
    std::vector<T> data;  // rows * cols, row-major: element (r, c) is data[r * cols + c]

    Matrix() = default;
    Matrix(int rows_, int cols_, T fill = T{})
        : rows(rows_), cols(cols_), data(static_cast<std::size_t>(rows_) * cols_, fill) {}

    T& operator()(int r, int c) { return data[static_cast<std::size_t>(r) * cols + c]; }
    const T& operator()(int r, int c) const { return data[static_cast<std::size_t>(r) * cols + c]; }
    T* row(int r) { return data.data() + static_cast<std::size_t>(r) * cols; }
    const T* row(int r) const { return data.data() + static_cast<std::size_t>(r) * cols; }
    std::size_t size() const { return data.size(); }
};

}  // namespace digitnet
