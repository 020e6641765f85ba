#pragma once
// Data sets as CSV text (plain or gzip-compressed), the layout of the common mnist_train.csv and
// Kaggle digit-recognizer files: one example a line, the label first, then the pixels.
#include <string>
#include <string_view>

#include "digitnet/model/dataset.hpp"

namespace digitnet {

// True when `head` (the first bytes of a file's content) looks like text: no NUL bytes and no
// control characters other than tab, line feed, carriage return, form feed and vertical tab.
bool looks_like_text(std::string_view head);

// `label,pixel,pixel,...` lines. The first line is a header when any of its fields is not a number
// (the mnist_train.csv of pjreddie.com has none, Kaggle's files have one). Labels are whole
// numbers 0..999 kept as they are (label_base 0, classes = largest + 1, at least 2); pixels are
// numbers in 0..255, scaled to [0, 1]. Blank lines, CRLF line ends, a UTF-8 byte-order mark,
// spaces around fields and double quotes around a field are accepted. The image shape is square
// (row-major) when the pixel count is a square, otherwise rows == 0.
// Every problem is an InputError naming the file, and the line and column where there is one.
Dataset load_csv(const std::string& path);

// Only the rows `choose` picks (told the number of data rows), streamed: the file is read twice in
// chunks (once to count the rows, once to parse the chosen ones), never held whole. Only the chosen
// rows are checked field by field.
DataShard load_csv_rows(const std::string& path, const RowChooser& choose);

}  // namespace digitnet
