#pragma once
// A labelled data set in memory, as every reader returns it and every backend takes it.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "digitnet/model/matrix.hpp"

namespace digitnet {

// How one row of X is a picture: pixel (r, c) is X[i, c*rows + r] when column_major (MATLAB
// order, the ex4 files), X[i, r*cols + c] otherwise (IDX, CSV). rows == 0 when the features are
// not a square image.
struct ImageShape {
    int rows = 0;
    int cols = 0;
    bool column_major = true;
};

struct Dataset {
    Matrix<double> X;         // m x n, one example a row
    std::vector<int> labels;  // m class indices 0..K-1
    int classes = 0;          // K
    // Class k is written in files as label k + label_base. ex4 .mat files use 1..K (and 10
    // stands for the digit 0): label_base 1. IDX and CSV files keep digits 0..9: label_base 0.
    int label_base = 1;
    ImageShape image;
    std::string source;  // file it came from, for messages

    int examples() const { return X.rows; }
    int features() const { return X.cols; }
};

// What a data file holds: the training set, and a held-out test set when the file has one.
struct DataFile {
    Dataset train;
    std::optional<Dataset> test;
};

// Some rows of a data set, [first, first + count): one process's share when several train
// together (distributed/shard.hpp says which).
struct RowRange {
    int first = 0;
    int count = 0;
    int end() const { return first + count; }
};

// Which rows of a set of `total` examples to keep (the readers call it once they know the total).
using RowChooser = std::function<RowRange(int total)>;

// The rows of a set that a reader kept: data holds rows [rows.first, rows.end()) of `total`. Its
// `classes` counts only the labels of those rows (the caller agrees on the set's with the others).
struct DataShard {
    Dataset data;
    RowRange rows;
    int total = 0;
};

// The rows `range` of `data`, everything else (classes, label base, image shape, source) as it was.
Dataset take_rows(const Dataset& data, RowRange range);

// Throws InputError naming `where` when X has NaN or Inf, labels are outside 0..K-1, sizes
// disagree, or the set is empty. Every reader calls it before returning.
void validate_dataset(const Dataset& data, const std::string& where);

// The square image shape for n features (20x20 for 400), or rows == 0 when n is not a square.
ImageShape square_image(int features, bool column_major);

}  // namespace digitnet
