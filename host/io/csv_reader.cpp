// CSV reading: the whole file in memory (decompressed when gzip), parsed line by line with
// std::from_chars; every field is checked, and an error names the file, line and column.
#include "csv_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <vector>

#include "digitnet/errors.hpp"
#include "gz_reader.hpp"

namespace digitnet {

namespace {

constexpr double max_pixel = 255.0;
constexpr double max_label = 999.0;

std::string_view trim(std::string_view field) {
    while (!field.empty() && (field.front() == ' ' || field.front() == '\t')) field.remove_prefix(1);
    while (!field.empty() && (field.back() == ' ' || field.back() == '\t')) field.remove_suffix(1);
    if (field.size() >= 2 && field.front() == '"' && field.back() == '"') field = field.substr(1, field.size() - 2);
    return field;
}

// The number in the field (already trimmed), or nothing when the field is not exactly one number.
std::optional<double> parse_number(std::string_view field) {
    if (!field.empty() && field.front() == '+') field.remove_prefix(1);
    if (field.empty()) return std::nullopt;
    double value = 0.0;
    const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (error != std::errc() || end != field.data() + field.size()) return std::nullopt;
    return value;
}

void split(std::string_view line, std::vector<std::string_view>& fields) {
    fields.clear();
    for (;;) {
        const auto comma = line.find(',');
        fields.push_back(trim(line.substr(0, comma)));
        if (comma == std::string_view::npos) break;
        line.remove_prefix(comma + 1);
    }
}

std::string shown(std::string_view field) {
    if (field.size() > 24) return "\"" + std::string(field.substr(0, 24)) + "...\"";
    return "\"" + std::string(field) + "\"";
}

}  // namespace

bool looks_like_text(std::string_view head) {
    return std::none_of(head.begin(), head.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte < 0x20 && byte != '\t' && byte != '\n' && byte != '\r' && byte != '\f' && byte != '\v';
    });
}

Dataset load_csv(const std::string& path) {
    const std::string content = read_all(path);
    std::string_view rest(content);
    if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);  // UTF-8 byte-order mark
    if (rest.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos) throw InputError(path + ": empty file");

    std::vector<std::string_view> fields;
    std::vector<double> values;
    std::vector<int> labels;
    std::size_t columns = 0;
    int header_line = 0;
    long line_number = 0;
    while (!rest.empty()) {
        const auto newline = rest.find('\n');
        std::string_view line = rest.substr(0, newline);
        rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
        ++line_number;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.find_first_not_of(" \t\f\v") == std::string_view::npos) continue;  // blank line
        const std::string where = path + ": line " + std::to_string(line_number);
        split(line, fields);

        if (columns == 0) {  // the first line: fixes the column count, and may be a header
            columns = fields.size();
            if (columns < 2)
                throw InputError(where + ": 1 column; expected the label and then the pixels, separated by commas");
            const bool header = std::any_of(fields.begin(), fields.end(), [](std::string_view f) { return !parse_number(f); });
            if (header) {
                header_line = static_cast<int>(line_number);
                continue;
            }
        }
        if (fields.size() != columns)
            throw InputError(where + ": " + std::to_string(fields.size()) + " columns, expected " + std::to_string(columns) +
                             " (the label and " + std::to_string(columns - 1) + " pixels, as on the first line)");
        if (labels.size() >= static_cast<std::size_t>(std::numeric_limits<int>::max()))
            throw InputError(where + ": too many rows");
        for (std::size_t c = 0; c < columns; ++c) {
            const std::optional<double> value = parse_number(fields[c]);
            const std::string cell = where + ", column " + std::to_string(c + 1) + ": ";
            if (!value) throw InputError(cell + shown(fields[c]) + " is not a number");
            if (c == 0) {
                if (!(*value >= 0 && *value <= max_label) || *value != std::floor(*value))
                    throw InputError(cell + "label " + shown(fields[c]) + " is not a whole number in 0..999");
                labels.push_back(static_cast<int>(*value));
            } else {
                if (!(*value >= 0 && *value <= max_pixel))
                    throw InputError(cell + "pixel value " + shown(fields[c]) + " is outside 0..255");
                values.push_back(*value / max_pixel);
            }
        }
    }
    if (labels.empty())
        throw InputError(path + ": no rows of data" + (header_line ? " after the header line" : std::string()));

    Dataset data;
    data.source = path;
    data.label_base = 0;
    data.X.rows = static_cast<int>(labels.size());
    data.X.cols = static_cast<int>(columns - 1);
    data.X.data = std::move(values);
    data.labels = std::move(labels);
    data.classes = std::max(*std::max_element(data.labels.begin(), data.labels.end()) + 1, 2);
    data.image = square_image(data.X.cols, /*column_major=*/false);
    validate_dataset(data, path);
    return data;
}

}  // namespace digitnet
