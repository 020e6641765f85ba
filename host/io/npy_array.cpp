#include "npy_array.hpp"

#include <cctype>
#include <charconv>
#include <cstring>
#include <limits>

#include "digitnet/errors.hpp"
#include "tensor_bytes.hpp"

namespace digitnet {

namespace {

constexpr std::string_view kMagic = "\x93NUMPY";

// The header dict, a Python literal of strings, True/False and tuples of whole numbers.
class HeaderParser {
public:
    HeaderParser(std::string_view text, const std::string& where) : text_(text), where_(where) {}

    struct Header {
        std::string descr;
        bool fortran_order = false;
        std::vector<std::int64_t> shape;
        bool has_descr = false, has_order = false, has_shape = false;
    };

    Header parse() {
        Header header;
        expect('{');
        for (;;) {
            skip_space();
            if (peek() == '}') break;
            const std::string key = string();
            expect(':');
            if (key == "descr") {
                header.descr = string();
                header.has_descr = true;
            } else if (key == "fortran_order") {
                header.fortran_order = boolean();
                header.has_order = true;
            } else if (key == "shape") {
                header.shape = tuple();
                header.has_shape = true;
            } else {
                fail("an unknown key '" + key.substr(0, 30) + "'");
            }
            skip_space();
            if (peek() == ',') {
                ++at_;
                continue;
            }
            if (peek() != '}') fail("no ',' or '}' after a value");
        }
        ++at_;
        skip_space();
        if (at_ != text_.size()) fail("text after the closing '}'");
        if (!header.has_descr || !header.has_order || !header.has_shape)
            fail("not all of 'descr', 'fortran_order' and 'shape'");
        return header;
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw InputError(where_ + ": its .npy header has " + what + " (a damaged file?)");
    }
    char peek() const { return at_ < text_.size() ? text_[at_] : '\0'; }
    void skip_space() {
        while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\n' || text_[at_] == '\t')) ++at_;
    }
    void expect(char c) {
        skip_space();
        if (peek() != c) fail(std::string("no '") + c + "' where one belongs");
        ++at_;
    }
    std::string string() {
        skip_space();
        const char quote = peek();
        if (quote != '\'' && quote != '"') fail("a key or value that is not a quoted string");
        const std::size_t end = text_.find(quote, at_ + 1);
        if (end == std::string_view::npos) fail("a string without its closing quote");
        std::string value(text_.substr(at_ + 1, end - at_ - 1));
        at_ = end + 1;
        return value;
    }
    bool boolean() {
        skip_space();
        if (text_.substr(at_, 4) == "True") return at_ += 4, true;
        if (text_.substr(at_, 5) == "False") return at_ += 5, false;
        fail("a 'fortran_order' that is neither True nor False");
    }
    std::vector<std::int64_t> tuple() {
        expect('(');
        std::vector<std::int64_t> values;
        for (;;) {
            skip_space();
            if (peek() == ')') break;
            std::int64_t value = 0;
            const auto [end, error] = std::from_chars(text_.data() + at_, text_.data() + text_.size(), value);
            if (error != std::errc{} || value < 0) fail("a 'shape' that is not a tuple of whole numbers");
            at_ = static_cast<std::size_t>(end - text_.data());
            values.push_back(value);
            if (values.size() > 8) fail("a 'shape' of more than 8 dimensions");
            skip_space();
            if (peek() == ',') {
                ++at_;
                continue;
            }
            if (peek() != ')') fail("a 'shape' that is not a tuple of whole numbers");
        }
        ++at_;
        return values;
    }

    std::string_view text_;
    const std::string& where_;
    std::size_t at_ = 0;
};

void append_utf8(std::string& out, std::uint32_t code, const std::string& where) {
    if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
        throw InputError(where + ": its unicode text holds an invalid code point");
    if (code < 0x80) {
        out += static_cast<char>(code);
    } else if (code < 0x800) {
        out += static_cast<char>(0xc0 | code >> 6);
        out += static_cast<char>(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
        out += static_cast<char>(0xe0 | code >> 12);
        out += static_cast<char>(0x80 | (code >> 6 & 0x3f));
        out += static_cast<char>(0x80 | (code & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | code >> 18);
        out += static_cast<char>(0x80 | (code >> 12 & 0x3f));
        out += static_cast<char>(0x80 | (code >> 6 & 0x3f));
        out += static_cast<char>(0x80 | (code & 0x3f));
    }
}

std::string shape_literal(const std::vector<std::int64_t>& shape) {
    std::string text = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i) text += ", ";
        text += std::to_string(shape[i]);
    }
    return text + (shape.size() == 1 ? ",)" : ")");
}

std::string npy_with_header(const std::string& descr, const std::vector<std::int64_t>& shape, std::string_view data) {
    std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape_literal(shape) + ", }";
    // Magic (6) + version (2) + length (2) + header, padded to a multiple of 64 ending in '\n'.
    const std::size_t total = (10 + header.size() + 1 + 63) / 64 * 64;
    header.append(total - 10 - header.size() - 1, ' ');
    header += '\n';
    std::string bytes(kMagic);
    bytes += '\x01';
    bytes += '\x00';
    bytes += static_cast<char>(header.size() & 0xff);
    bytes += static_cast<char>(header.size() >> 8 & 0xff);
    return bytes + header + std::string(data);
}

}  // namespace

NpyArray parse_npy(std::string_view bytes, const std::string& where) {
    if (bytes.size() < 10 || bytes.substr(0, 6) != kMagic)
        throw InputError(where + ": is not a .npy array (no \\x93NUMPY at its start)");
    const auto byte = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])); };
    const std::uint32_t major = byte(6);
    if (major < 1 || major > 3)
        throw InputError(where + ": is a .npy array of version " + std::to_string(major) + ", not 1, 2 or 3");
    std::size_t start = 10;
    std::uint64_t header_bytes = byte(8) | byte(9) << 8;
    if (major >= 2) {
        if (bytes.size() < 12) throw InputError(where + ": is truncated inside its .npy header");
        header_bytes = byte(8) | byte(9) << 8 | byte(10) << 16 | static_cast<std::uint64_t>(byte(11)) << 24;
        start = 12;
    }
    if (header_bytes > bytes.size() - start)
        throw InputError(where + ": its .npy header length " + std::to_string(header_bytes) +
                         " runs past the end of the entry (truncated?)");
    const HeaderParser::Header header = HeaderParser(bytes.substr(start, header_bytes), where).parse();
    const std::string_view data = bytes.substr(start + header_bytes);

    NpyArray array;
    array.shape = header.shape;
    std::uint64_t count = 1;
    for (std::int64_t n : header.shape) {
        const auto size = static_cast<std::uint64_t>(n);
        if (size != 0 && count > (data.size() + 1) / size)
            throw InputError(where + ": its shape " + shape_literal(header.shape) + " holds more values than its " +
                             std::to_string(data.size()) + " bytes");
        count *= size;
    }
    const std::string& d = header.descr;
    const char order = d.empty() ? '\0' : d[0];
    const std::string kind = d.size() > 1 ? d.substr(1) : "";
    const bool big = order == '>';
    std::uint64_t element = 0;
    TensorType type = TensorType::Float32;
    if ((order == '<' || order == '>' || order == '=') && (kind == "f4" || kind == "f8")) {
        type = kind == "f4" ? TensorType::Float32 : TensorType::Float64;
        element = element_bytes(type);
    } else if ((order == '|' || order == '<' || order == '>' || order == '=') && kind == "u1") {
        array.is_text = true;
        element = 1;
    } else if ((order == '<' || order == '>' || order == '=') && kind.size() > 1 && kind[0] == 'U' &&
               kind.size() < 10 && std::all_of(kind.begin() + 1, kind.end(), [](char c) { return std::isdigit(c); })) {
        array.is_text = true;
        element = 4 * std::stoull(kind.substr(1));
    } else {
        throw InputError(where + ": has dtype '" + d.substr(0, 20) +
                         "', which digitnet does not read (float32 or float64 weights: '<f4', '<f8')");
    }
    if (element != 0 && count > std::numeric_limits<std::uint64_t>::max() / element)
        throw InputError(where + ": its shape " + shape_literal(header.shape) + " holds more values than its bytes");
    if (count * element != data.size())
        throw InputError(where + ": has " + std::to_string(data.size()) + " bytes of values but its shape " +
                         shape_literal(header.shape) + " and dtype '" + d + "' need " +
                         std::to_string(count * element) + " (truncated?)");

    if (array.is_text) {
        if (kind == "u1") {
            if (header.shape.size() != 1) throw InputError(where + ": text as uint8 must be a 1-d array");
            array.text = std::string(data);
        } else {
            if (count != 1) throw InputError(where + ": text must be one string (a 0-d array)");
            for (std::size_t i = 0; i + 4 <= data.size(); i += 4) {
                std::uint32_t code = 0;
                for (int b = 0; b < 4; ++b)
                    code |= static_cast<std::uint32_t>(static_cast<unsigned char>(data[i + (big ? 3 - b : b)]))
                            << (8 * b);
                if (code == 0) break;  // numpy pads a shorter string with NULs
                append_utf8(array.text, code, where);
            }
        }
        return array;
    }

    std::vector<double> values = decode_values(data, type, big);
    if (header.fortran_order && header.shape.size() > 1) {
        // Column-major on disk: element (i0, i1, ..., ik) at offset i0 + s0 (i1 + s1 (...)).
        std::vector<double> c_order(values.size());
        const std::size_t rank = header.shape.size();
        std::vector<std::int64_t> index(rank, 0);
        for (std::size_t c = 0; c < values.size(); ++c) {
            std::uint64_t offset = 0;
            for (std::size_t k = rank; k-- > 0;)
                offset = offset * static_cast<std::uint64_t>(header.shape[k]) + static_cast<std::uint64_t>(index[k]);
            c_order[c] = values[offset];
            for (std::size_t k = rank; k-- > 0;) {  // the next C-order index: last dimension fastest
                if (++index[k] < header.shape[k]) break;
                index[k] = 0;
            }
        }
        values = std::move(c_order);
    }
    array.values = std::move(values);
    return array;
}

std::string encode_npy(const Tensor& tensor, TensorType type) {
    std::string data;
    append_values(data, tensor.values, type);
    return npy_with_header(type == TensorType::Float32 ? "<f4" : "<f8", tensor.shape, data);
}

std::string encode_npy_text(const std::string& ascii) {
    std::string data;
    for (char c : ascii) {
        data += c;
        data.append(3, '\0');  // UTF-32LE of an ASCII character
    }
    return npy_with_header("<U" + std::to_string(ascii.size()), {}, data);
}

}  // namespace digitnet
