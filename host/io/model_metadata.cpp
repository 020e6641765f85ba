#include "digitnet/io/model_metadata.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "digitnet/errors.hpp"

namespace digitnet {

namespace {

std::string number_text(double value) {
    char text[40];
    std::snprintf(text, sizeof text, "%.17g", value);
    return text;
}

std::string sizes_text(const std::vector<int>& sizes) {
    std::string text;
    for (int size : sizes) {
        if (!text.empty()) text += ',';
        text += std::to_string(size);
    }
    return text;
}

const char* order_text(bool column_major) { return column_major ? "column-major" : "row-major"; }

// The metadata of one file, each value parsed on demand with the file and key in its error.
class Reader {
public:
    Reader(const ModelMetadata& metadata, const std::string& path) : metadata_(metadata), path_(path) {}

    const std::string* text(const std::string& key) const {
        const auto found = metadata_.find(key);
        return found == metadata_.end() ? nullptr : &found->second;
    }
    [[noreturn]] void refuse(const std::string& key, const std::string& expected) const {
        throw InputError(path_ + ": its metadata " + key + " is \"" + shorten(*text(key)) + "\", expected " + expected);
    }
    std::optional<double> number(const std::string& key) const {
        const std::string* value = text(key);
        if (!value) return std::nullopt;
        const char* begin = value->c_str();
        char* end = nullptr;
        const double parsed = std::strtod(begin, &end);
        if (value->empty() || end != begin + value->size() || !std::isfinite(parsed)) refuse(key, "a finite number");
        return parsed;
    }
    std::optional<int> whole(const std::string& key, int most) const {
        const std::string* value = text(key);
        if (!value) return std::nullopt;
        int parsed = 0;
        const auto [end, error] = std::from_chars(value->data(), value->data() + value->size(), parsed);
        if (error != std::errc{} || end != value->data() + value->size() || parsed < 0 || parsed > most)
            refuse(key, "a whole number 0.." + std::to_string(most));
        return parsed;
    }
    const std::string& path() const { return path_; }

private:
    static std::string shorten(const std::string& text) {
        return text.size() <= 60 ? text : text.substr(0, 60) + "...";
    }
    const ModelMetadata& metadata_;
    const std::string& path_;
};

}  // namespace

ModelMetadata model_metadata(const ModelFile& model) {
    const Layout& layout = model.parameters.layout;
    const ModelInfo& info = model.info;
    ModelMetadata m;
#ifdef DIGITNET_VERSION
    m["digitnet_version"] = DIGITNET_VERSION;
#endif
    m["digitnet_layout"] = sizes_text(layout.sizes);
    m["digitnet_activation"] = to_string(layout.hidden);
    m["digitnet_output"] = to_string(layout.output);
    m["digitnet_label_base"] = std::to_string(info.label_base);
    m["digitnet_image_rows"] = std::to_string(info.image.rows);
    m["digitnet_image_cols"] = std::to_string(info.image.cols);
    m["digitnet_image_order"] = order_text(info.image.column_major);
    m["digitnet_background"] = number_text(info.background);
    m["digitnet_ink"] = number_text(info.ink);
    if (info.digit_box > 0) {
        m["digitnet_digit_box"] = number_text(info.digit_box);
        m["digitnet_centre_row"] = number_text(info.centre_row);
        m["digitnet_centre_col"] = number_text(info.centre_col);
        if (info.stroke_width > 0) m["digitnet_stroke_width"] = number_text(info.stroke_width);
    }
    return m;
}

void settle_conventions(const ModelAssumptions& recorded, const ModelAssumptions& assumptions, const std::string& path,
                        ModelFile& model) {
    Layout& layout = model.parameters.layout;
    if (recorded.hidden && assumptions.hidden && *recorded.hidden != *assumptions.hidden)
        throw InputError(path + ": its hidden layers use " + to_string(*recorded.hidden) + ", not --activation " +
                         to_string(*assumptions.hidden));
    if (recorded.output && assumptions.output && *recorded.output != *assumptions.output)
        throw InputError(path + ": its output is " + to_string(*recorded.output) + ", not --output " +
                         to_string(*assumptions.output));
    if (recorded.label_base && assumptions.label_base && *recorded.label_base != *assumptions.label_base)
        throw InputError(path + ": it records label base " + std::to_string(*recorded.label_base) +
                         ", not --label-base " + std::to_string(*assumptions.label_base));
    layout.hidden = recorded.hidden.value_or(assumptions.hidden.value_or(Activation::Sigmoid));
    layout.output = recorded.output.value_or(assumptions.output.value_or(Output::Sigmoid));
    model.info.label_base = recorded.label_base.value_or(assumptions.label_base.value_or(1));
}

void apply_model_metadata(const ModelMetadata& metadata, const std::string& path, const ModelAssumptions& assumptions,
                          ModelFile& model) {
    const Reader read(metadata, path);
    const Layout& layout = model.parameters.layout;
    const int inputs = layout.inputs();

    if (const std::string* recorded = read.text("digitnet_layout"); recorded && *recorded != sizes_text(layout.sizes))
        throw InputError(path + ": its metadata digitnet_layout says " + *recorded + " but its tensors are layers of " +
                         sizes_text(layout.sizes) + " (a damaged or edited file?)");

    ModelAssumptions recorded;
    try {
        if (const std::string* text = read.text("digitnet_activation"))
            recorded.hidden = parse_activation(*text, "digitnet_activation");
        if (const std::string* text = read.text("digitnet_output"))
            recorded.output = parse_output(*text, "digitnet_output");
    } catch (const InputError& e) {
        throw InputError(path + ": its metadata " + e.what());
    }
    recorded.label_base = read.whole("digitnet_label_base", 1);

    model.info = default_model_info(inputs);
    settle_conventions(recorded, assumptions, path, model);
    ModelInfo& info = model.info;

    const std::optional<int> rows = read.whole("digitnet_image_rows", 65535);
    const std::optional<int> cols = read.whole("digitnet_image_cols", 65535);
    const std::string* order = read.text("digitnet_image_order");
    if (rows || cols || order) {
        if (!rows || !cols || !order)
            throw InputError(path +
                             ": its metadata gives only part of the image shape (digitnet_image_rows, "
                             "digitnet_image_cols and digitnet_image_order go together)");
        if (*order != "column-major" && *order != "row-major")
            read.refuse("digitnet_image_order", "column-major or row-major");
        if (*rows != 0 && static_cast<long long>(*rows) * *cols != inputs)
            throw InputError(path + ": its metadata says the input is a " + std::to_string(*rows) + " x " +
                             std::to_string(*cols) + " image but the model takes " + std::to_string(inputs) +
                             " inputs");
        info.image = {*rows, *rows == 0 ? 0 : *cols, *order == "column-major"};
    }

    const std::optional<double> background = read.number("digitnet_background");
    const std::optional<double> ink = read.number("digitnet_ink");
    if (background.has_value() != ink.has_value())
        throw InputError(path + ": its metadata gives one of digitnet_background and digitnet_ink without the other");
    if (background) {
        if (*background == *ink)
            throw InputError(path + ": its metadata digitnet_background and digitnet_ink are the same value");
        info.background = *background;
        info.ink = *ink;
    }

    const std::optional<double> box = read.number("digitnet_digit_box");
    const std::optional<double> centre_row = read.number("digitnet_centre_row");
    const std::optional<double> centre_col = read.number("digitnet_centre_col");
    if (box || centre_row || centre_col) {
        if (!box || !centre_row || !centre_col)
            throw InputError(path +
                             ": its metadata gives only part of the digit box (digitnet_digit_box, "
                             "digitnet_centre_row and digitnet_centre_col go together)");
        if (info.image.rows == 0)
            throw InputError(path + ": its metadata gives a digit box but the input is not an image");
        const auto inside = [](double v, int most) { return v > 0 && v <= most; };
        if (!inside(*box, std::max(info.image.rows, info.image.cols)) || !inside(*centre_row, info.image.rows) ||
            !inside(*centre_col, info.image.cols))
            throw InputError(path + ": its metadata digit box must be a size and a centre (row, column) inside the " +
                             std::to_string(info.image.rows) + " x " + std::to_string(info.image.cols) + " image");
        info.digit_box = *box;
        info.centre_row = *centre_row;
        info.centre_col = *centre_col;
        if (const std::optional<double> stroke = read.number("digitnet_stroke_width")) {
            if (!(*stroke > 0 && *stroke <= *box))
                throw InputError(path + ": its metadata digitnet_stroke_width must be a width inside the digit box");
            info.stroke_width = *stroke;
        }
    } else if (rows) {
        // An image shape without a box: MNIST's box, as default_model_info assumes.
        info.digit_box = info.image.rows == 0 ? 0.0 : std::min(info.image.rows, info.image.cols) * 20.0 / 28.0;
        info.centre_row = info.image.rows / 2.0;
        info.centre_col = info.image.cols / 2.0;
    }
}

}  // namespace digitnet
