#pragma once
// MNIST-style IDX files (http://yann.lecun.com/exdb/mnist/, also Fashion-MNIST), plain or
// gzip-compressed: an images file `*-images-idx3-ubyte[.gz]` (magic 00 00 08 03, then the image
// count, rows and columns as big-endian uint32, then count*rows*cols unsigned bytes, row-major)
// paired with its labels file `*-labels-idx1-ubyte[.gz]` (magic 00 00 08 01, the count, then one
// byte per label).
#include <optional>
#include <string>
#include <string_view>

#include "digitnet/model/dataset.hpp"

namespace digitnet {

// True when `head` (at least the first 4 bytes of a file's content, decompressed) starts like an
// IDX file: two zero bytes, a known data-type code (08 09 0b 0c 0d 0e) and 1..4 dimensions. The
// reader then says precisely what is unsupported (only unsigned bytes, 3-D images, 1-D labels).
bool looks_like_idx(std::string_view head);

// The other file of the pair: for an images file the labels file beside it (the file name with
// "images" -> "labels" and "idx3" -> "idx1", with or without .gz), for a labels file the reverse.
// Returns nothing when no such file exists; throws InputError when the name has neither token.
std::optional<std::string> idx_partner(const std::string& path, bool given_images);

// Loads one images/labels pair; `path` may name either file (the other is found by idx_partner).
// Pixels are scaled from 0..255 to [0, 1]; labels stay the digits they are (label_base 0,
// classes = largest label + 1, at least 2); the image shape comes from the header (row-major).
// Every problem (bad magic, truncated file, counts that differ, a missing partner, absurd sizes) is
// an InputError naming the file.
Dataset load_idx(const std::string& path);

// Loads the given pair, checking that they belong together.
Dataset load_idx_pair(const std::string& images_path, const std::string& labels_path);

// Only the rows `choose` picks (told the image count from the header): the rows before them are
// skipped (a plain file seeks, a gzip one is decompressed past them), those after never read.
DataShard load_idx_rows(const std::string& path, const RowChooser& choose);
DataShard load_idx_pair_rows(const std::string& images_path, const std::string& labels_path, const RowChooser& choose);

// The images file of the set `prefix` ("train" or "t10k") inside an MNIST-style folder:
// prefix-images-idx3-ubyte, prefix-images.idx3-ubyte, each with or without .gz. Nothing if absent.
std::optional<std::string> find_idx_images(const std::string& folder, const std::string& prefix);

}  // namespace digitnet
