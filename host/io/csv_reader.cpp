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

// One data row (already split, with the right column count): its label and scaled pixels appended.
void parse_row(const std::vector<std::string_view>& fields, const std::string& where, std::vector<double>& values,
               std::vector<int>& labels) {
    for (std::size_t c = 0; c < fields.size(); ++c) {
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

// Calls on_line(line, line_number) for each line of the file (decompressed, streamed in chunks, a
// leading byte-order mark and CR line ends removed) until it returns false.
template <class OnLine>
void for_each_line(const std::string& path, OnLine on_line) {
    GzReader reader(path);
    std::string pending;
    std::vector<char> chunk(std::size_t{1} << 20);
    long line_number = 0;
    bool first = true;
    for (;;) {
        const std::size_t got = reader.read(chunk.data(), chunk.size());
        pending.append(chunk.data(), got);
        if (first && pending.size() >= 3) {
            if (pending.compare(0, 3, "\xEF\xBB\xBF") == 0) pending.erase(0, 3);
            first = false;
        }
        std::size_t start = 0;
        for (std::size_t newline; (newline = pending.find('\n', start)) != std::string::npos; start = newline + 1) {
            std::string_view line(pending.data() + start, newline - start);
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            if (!on_line(line, ++line_number)) return;
        }
        pending.erase(0, start);
        if (got < chunk.size()) break;
    }
    std::string_view line(pending);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) on_line(line, ++line_number);
}

bool blank(std::string_view line) { return line.find_first_not_of(" \t\f\v") == std::string_view::npos; }

// The parsed rows (label first, then columns - 1 pixels each) as a data set of digits 0..9 in
// row-major images, validated; a shard may hold no rows, which is then left unvalidated.
Dataset rows_as_dataset(const std::string& path, std::size_t columns, std::vector<double> values,
                        std::vector<int> labels) {
    Dataset data;
    data.source = path;
    data.label_base = 0;
    data.X.rows = static_cast<int>(labels.size());
    data.X.cols = static_cast<int>(columns - 1);
    data.X.data = std::move(values);
    data.labels = std::move(labels);
    data.classes = std::max(data.labels.empty() ? 2 : *std::max_element(data.labels.begin(), data.labels.end()) + 1, 2);
    data.image = square_image(data.X.cols, /*column_major=*/false);
    if (!data.labels.empty()) validate_dataset(data, path);
    return data;
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
            const bool header =
                std::any_of(fields.begin(), fields.end(), [](std::string_view f) { return !parse_number(f); });
            if (header) {
                header_line = static_cast<int>(line_number);
                continue;
            }
        }
        if (fields.size() != columns)
            throw InputError(where + ": " + std::to_string(fields.size()) + " columns, expected " +
                             std::to_string(columns) + " (the label and " + std::to_string(columns - 1) +
                             " pixels, as on the first line)");
        if (labels.size() >= static_cast<std::size_t>(std::numeric_limits<int>::max()))
            throw InputError(where + ": too many rows");
        parse_row(fields, where, values, labels);
    }
    if (labels.empty())
        throw InputError(path + ": no rows of data" + (header_line ? " after the header line" : std::string()));

    return rows_as_dataset(path, columns, std::move(values), std::move(labels));
}

DataShard load_csv_rows(const std::string& path, const RowChooser& choose) {
    // First pass: count the data rows (every non-blank line, less a header line).
    long rows = 0;
    bool header = false;
    std::vector<std::string_view> fields;
    for_each_line(path, [&](std::string_view line, long) {
        if (blank(line)) return true;
        if (rows == 0 && !header) {
            split(line, fields);
            header = std::any_of(fields.begin(), fields.end(), [](std::string_view f) { return !parse_number(f); });
            if (header) return true;
        }
        ++rows;
        return true;
    });
    if (rows == 0) throw InputError(path + ": " + (header ? "no rows of data after the header line" : "empty file"));
    if (rows > std::numeric_limits<int>::max()) throw InputError(path + ": too many rows");
    const RowRange range = choose(static_cast<int>(rows));

    // Second pass: parse only the chosen rows; stop after the last of them.
    std::vector<double> values;
    std::vector<int> labels;
    std::size_t columns = 0;
    long row = -1;
    for_each_line(path, [&](std::string_view line, long line_number) {
        if (blank(line)) return true;
        const bool first_line = columns == 0;
        if (first_line || (row + 1 >= range.first && row + 1 < range.end())) split(line, fields);
        if (first_line) {
            columns = fields.size();
            if (columns < 2)
                throw InputError(path + ": line " + std::to_string(line_number) +
                                 ": 1 column; expected the label and then the pixels, separated by commas");
            if (header) return true;
        }
        ++row;
        if (row < range.first) return true;
        if (row >= range.end()) return false;
        const std::string where = path + ": line " + std::to_string(line_number);
        if (fields.size() != columns)
            throw InputError(where + ": " + std::to_string(fields.size()) + " columns, expected " +
                             std::to_string(columns) + " (the label and " + std::to_string(columns - 1) +
                             " pixels, as on the first line)");
        parse_row(fields, where, values, labels);
        return true;
    });

    DataShard shard;
    shard.rows = range;
    shard.total = static_cast<int>(rows);
    shard.data = rows_as_dataset(path, columns, std::move(values), std::move(labels));
    return shard;
}

}  // namespace digitnet
