#pragma once
// Loading a data set from any supported file, picked by its content rather than its name:
//   - MATLAB .mat, v5 (header text "MATLAB 5.0 MAT-file") or v7.3 (header text "MATLAB 7.3
//     MAT-file", or the HDF5 signature 89 'HDF' 0d 0a 1a 0a at offset 0 or 512), or v4 (no text
//     header: a first matrix header of five int32 that make sense, then its name): load_mat_data;
//   - MNIST-style IDX (00 00 08 03 images / 00 00 08 01 labels), plain or gzip-compressed: the
//     images with the labels file beside them (either may be named);
//   - a folder holding train-images-idx3-ubyte[.gz] etc. (MNIST, Debian's dataset-fashion-mnist):
//     train-* is the training set, t10k-* (when there) the test set;
//   - otherwise text (plain or gzip-compressed): CSV, label first, then the pixels.
// Any other binary file is an InputError ("not a .mat, IDX or CSV file").
#include <optional>
#include <string>

#include "digitnet/model/dataset.hpp"

namespace digitnet {

enum class DataFormat { Mat, Idx, IdxFolder, Csv };

// What load_data would read `path` as. Throws InputError for a missing file, an unreadable one,
// a gzip-compressed .mat file, or a binary file of none of the formats.
DataFormat detect_data_format(const std::string& path);

// The data set in `path`, whatever its format (see above). Throws InputError naming the file.
DataFile load_data(const std::string& path);

// Only some rows of each set, for one of several processes (distributed/): `choose` is told each
// set's size and says which rows to keep. IDX files are read from the first kept row on and CSV
// text is streamed, so no process ever holds the whole set; a .mat file is read whole and cut
// after (matio reads whole variables). The sets' `classes` count only the kept rows' labels: the
// processes agree on the largest afterwards (and then call check_test_fits).
struct DataFileShard {
    DataShard train;
    std::optional<DataShard> test;
};
DataFileShard load_data_shard(const std::string& path, const RowChooser& choose);

// load_test_set's rows, chosen the same way.
DataShard load_test_set_shard(const std::string& path, const RowChooser& choose);

// The held-out examples in `path`: its test set when it has one (Xtest/ytest of a .mat file, the
// t10k-* files of an IDX folder), otherwise all of its examples.
Dataset load_test_set(const std::string& path);

// load_test_set, checked to fit the training set: the same number of features, the same label
// convention (ex4's 1..K against digits 0..9), the same pixel order, and no label beyond the
// training set's classes. The result's `classes` is the training set's. Throws InputError.
Dataset load_test_data(const std::string& path, const Dataset& train);

// Throws InputError unless `test` fits `train` as load_test_data describes; sets test.classes to
// train.classes.
void check_test_fits(Dataset& test, const Dataset& train);

}  // namespace digitnet
