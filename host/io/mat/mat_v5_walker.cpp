// Walking a .mat file's headers the way matio will, checking every size it will allocate by
// against the bytes that are really there (see mat_file_check.hpp for why).
//
// Level 5 layout (MathWorks, "MAT-File Format"): a 128-byte header (text, subsystem offset,
// version 0x0100, endian indicator "IM"), then one data element per variable: an 8-byte tag
// (type, byte count) and its bytes. A variable is a miMATRIX element (array flags, dimensions,
// name, then the data, or the cells / struct fields as nested miMATRIX elements), or a
// miCOMPRESSED element whose zlib stream inflates to one miMATRIX element. Level 4: per
// variable a 20-byte header (type MOPT, rows, columns, imaginary flag, name length), the name,
// then rows*columns values.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <utility>

#include "digitnet/errors.hpp"
#include "mat_byte_source.hpp"
#include "mat_file_check.hpp"

namespace digitnet {

namespace {

using mat_check::Bounded;
using mat_check::FileSource;
using mat_check::InflateSource;
using mat_check::saturated;
using mat_check::saturating_multiply;
using mat_check::Source;

// Cells in structs in cells...: a data file never nests this deep, and matio recurses per level.
constexpr int max_nesting = 32;

// Level 5 data types (miXXX) and array classes (mxXXX_CLASS) that matter here.
constexpr std::uint32_t mi_int8 = 1, mi_int32 = 5, mi_uint32 = 6, mi_matrix = 14, mi_compressed = 15;
constexpr std::uint32_t mx_cell = 1, mx_struct = 2, mx_char = 4, mx_sparse = 5, mx_double = 6, mx_uint64 = 15,
                        mx_function = 16, mx_opaque = 17;
// matio's compressed reader rejects ranks above this when the dimensions fit its buffer.
constexpr std::uint32_t max_compressed_rank = 13;

std::uint64_t round_up_8(std::uint64_t n) { return (n + 7) / 8 * 8; }

// Bytes per value of a level 5 data type; 0 for types that hold no plain values.
std::uint64_t mi_size(std::uint32_t type) {
    switch (type) {
        case 1:
        case 2:
        case 16:
            return 1;  // int8, uint8, utf8
        case 3:
        case 4:
        case 17:
            return 2;  // int16, uint16, utf16
        case 5:
        case 6:
        case 7:
        case 18:
            return 4;  // int32, uint32, single, utf32
        case 9:
        case 12:
        case 13:
            return 8;  // double, int64, uint64
        default:
            return 0;
    }
}

// Bytes per value of a level 4 precision digit P (double, single, int32, int16, uint16, uint8).
std::uint64_t v4_size(int precision) {
    static constexpr std::uint64_t sizes[] = {8, 4, 4, 2, 2, 1};
    return sizes[precision];
}

// How matio treats the name tag of an array, which depends on where the array is.
enum class NameRule {
    Read,     // a variable or a cell: a miINT8 name of that many bytes (padded to 8) follows
    TagOnly,  // a struct field: matio reads the 8-byte tag and nothing more
};

class Walker {
public:
    Walker(std::string path, bool swap) : path_(std::move(path)), swap_(swap) {}

    // Level 5: the data elements after the 128-byte header.
    void level5(std::ifstream& in, std::uint64_t file_size) {
        std::uint64_t position = 128;
        while (file_size - position >= 8) {
            FileSource at(in, position, file_size);
            unsigned char tag[8];
            if (!at.read(tag, 8)) return;
            const std::uint32_t type = u32(tag), size = u32(tag + 4);
            if (type != mi_matrix && type != mi_compressed) return;  // matio stops reading variables here
            element_ = position;
            const std::uint64_t left = file_size - position - 8;
            if (size > left)
                damaged("claims " + std::to_string(size) + " bytes but the file ends " + std::to_string(left) +
                        " bytes later (a truncated file?)");
            if (type == mi_matrix) {
                FileSource content(in, position + 8, position + 8 + size);
                Bounded array(content, size);
                matrix(array, /*compressed=*/false, NameRule::Read, 0);
            } else {
                InflateSource content(in, position + 8, position + 8 + size);
                unsigned char inner[8];
                if (!content.read(inner, 8)) damaged("is compressed data that does not inflate");
                // matio skips a compressed element that does not hold an array.
                if (u32(inner) == mi_matrix) {
                    Bounded array(content, u32(inner + 4));
                    matrix(array, /*compressed=*/true, NameRule::Read, 0);
                }
            }
            position += 8 + std::uint64_t{size};
        }
    }

    // Level 4: one 20-byte header, the name, and the values per variable.
    void level4(std::ifstream& in, std::uint64_t file_size) {
        std::uint64_t position = 0;
        while (file_size - position >= 20) {
            FileSource at(in, position, file_size);
            unsigned char header[20];
            if (!at.read(header, 20)) return;
            // The type MOPT (machine, 0, precision, text/sparse) tells the byte order; matio stops
            // at the first header that is not a valid one, so do we.
            std::int32_t type = i32(header, false);
            if (type < 0 || type > 4052) type = i32(header, true);
            if (type < 0 || type > 4052) return;
            const int machine = type / 1000, zero = type / 100 % 10, precision = type / 10 % 10, kind = type % 10;
            if (machine > 1 || zero != 0 || precision > 5 || kind > 2) return;
            const bool swap = (machine == 1) == (std::endian::native == std::endian::little);
            const std::int32_t rows = i32(header + 4, swap), cols = i32(header + 8, swap);
            const bool complex = i32(header + 12, false) != 0;  // matio reads this one unswapped
            const std::int32_t name_length = i32(header + 16, swap);
            if (name_length < 1) return;
            element_ = position;
            const std::uint64_t left = file_size - position - 20;
            if (static_cast<std::uint64_t>(name_length) > left)
                damaged("has a name of " + std::to_string(name_length) + " bytes but only " + std::to_string(left) +
                        " follow");
            if (rows < 0 || cols < 0)
                damaged("has negative dimensions " + std::to_string(rows) + " x " + std::to_string(cols));
            const std::uint64_t bytes = saturating_multiply(
                saturating_multiply(static_cast<std::uint64_t>(rows), static_cast<std::uint64_t>(cols)),
                v4_size(precision) * (complex ? 2 : 1));
            if (bytes > left - static_cast<std::uint64_t>(name_length))
                damaged("claims " + std::to_string(rows) + " x " + std::to_string(cols) +
                        " values but the file ends first");
            position += 20 + static_cast<std::uint64_t>(name_length) + bytes;
        }
    }

private:
    std::uint32_t u32(const unsigned char* bytes) const {
        std::uint32_t value;
        std::memcpy(&value, bytes, 4);
        return swap_ ? __builtin_bswap32(value) : value;
    }
    static std::int32_t i32(const unsigned char* bytes, bool swap) {
        std::uint32_t value;
        std::memcpy(&value, bytes, 4);
        return static_cast<std::int32_t>(swap ? __builtin_bswap32(value) : value);
    }

    [[noreturn]] void damaged(const std::string& what) const {
        throw InputError(path_ + ": damaged .mat file: the variable at byte " + std::to_string(element_) + " " + what);
    }
    void read(Source& in, unsigned char* out, std::size_t n, const char* what) const {
        if (!in.read(out, n)) damaged(std::string("is cut short in its ") + what);
    }
    void skip(Source& in, std::uint64_t n, const char* what) const {
        if (!in.skip(n)) damaged(std::string("is cut short in its ") + what);
    }

    // The content of one miMATRIX element (after its tag): array flags, dimensions, name, and for
    // cells and structs the nested elements; for numeric arrays the tag of the values.
    void matrix(Bounded& in, bool compressed, NameRule name_rule, int depth) {
        if (depth > max_nesting) damaged("nests cells or structs more than " + std::to_string(max_nesting) + " deep");
        if (in.left() == 0) {
            // An empty cell or struct field has no header at all, and matio reads none. A variable
            // (depth 0) of 0 bytes is another matter: matio reads its array header anyway, from
            // the bytes that follow the element, and allocates what they claim.
            if (depth == 0) damaged("is an array element of 0 bytes");
            return;
        }
        unsigned char header[24];  // array flags tag, flags, nzmax, dimensions tag
        read(in, header, 24, "array header");
        const std::uint32_t flags_type = u32(header);
        if (flags_type != mi_uint32 && !(flags_type == mi_int32 && !compressed))
            damaged("has array flags of type " + std::to_string(flags_type) + ", expected miUINT32");
        const std::uint32_t array_class = u32(header + 8) & 0xff;
        if (compressed && array_class == mx_opaque) return;  // matio reads no further (a MATLAB object)

        // Dimensions: matio allocates one size_t per 4 bytes the tag claims.
        std::uint64_t elements = 1;
        const std::uint32_t dims_type = u32(header + 16), dims_bytes = u32(header + 20);
        if (dims_type == mi_int32) {
            if (dims_bytes > in.left())
                damaged("has a dimension list of " + std::to_string(dims_bytes) + " bytes but only " +
                        std::to_string(in.left()) + " follow");
            const std::uint32_t rank = dims_bytes / 4;
            if (compressed && rank > max_compressed_rank) damaged("has " + std::to_string(rank) + " dimensions");
            for (std::uint32_t d = 0; d < rank; ++d) {
                unsigned char dim[4];
                read(in, dim, 4, "dimensions");
                elements = saturating_multiply(elements, u32(dim));
            }
            if (rank % 2) skip(in, 4, "dimensions");  // padding to 8 bytes
        }

        // Name: a miINT8 element (padded to 8 bytes), or packed into its tag when it is short.
        unsigned char name_tag[8];
        read(in, name_tag, 8, "name");
        if (name_rule == NameRule::Read && u32(name_tag) == mi_int8) {
            const std::uint64_t padded = round_up_8(u32(name_tag + 4));
            if (padded > in.left())
                damaged("has a name of " + std::to_string(u32(name_tag + 4)) + " bytes but only " +
                        std::to_string(in.left()) + " follow");
            skip(in, padded, "name");
        }

        if (array_class == mx_cell) {
            nested(in, elements, compressed, NameRule::Read, depth, "cell array");
        } else if (array_class == mx_struct) {
            struct_fields(in, elements, compressed, depth);
        } else if (array_class == mx_function && !compressed && depth == 0) {
            // matio reads a function handle's parts as whole variables; MATLAB writes them
            // uncompressed, and nothing here needs them: refuse anything but the plain layout.
            nested(in, elements, compressed, NameRule::Read, depth, "function handle");
        } else if ((array_class >= mx_double && array_class <= mx_uint64) || array_class == mx_char) {
            if (elements == 0) return;
            // matio allocates elements * (bytes per value) before it reads the values, also
            // while it reads the headers (small arrays in compressed cells are read eagerly).
            const bool complex = (u32(header + 8) & 0x800) != 0;
            for (int part = 0; part < (complex ? 2 : 1); ++part) {
                const auto [type, bytes] = data_element(in, "values", /*more=*/part + 1 < (complex ? 2 : 1));
                const std::uint64_t size = mi_size(type);
                if (size == 0) damaged("has values of type " + std::to_string(type) + ", which hold no numbers");
                if (bytes / size < elements)
                    damaged("holds " + std::to_string(bytes / size) + " values but its dimensions say " +
                            std::to_string(elements));
            }
        } else if (array_class == mx_sparse) {
            // Row indices, column starts, values (and imaginary values): each allocated as its tag says.
            const int parts = (u32(header + 8) & 0x800) != 0 ? 4 : 3;
            for (int part = 0; part < parts; ++part) data_element(in, "sparse data", /*more=*/part + 1 < parts);
        }
    }

    // The tag of one data element of an array, whose bytes (padded to 8) must fit in what is left;
    // they are skipped when `more` elements follow. Returns its type and byte count.
    std::pair<std::uint32_t, std::uint64_t> data_element(Bounded& in, const char* what, bool more) {
        unsigned char tag[8];
        read(in, tag, 8, what);
        const std::uint32_t word = u32(tag);
        if ((word >> 16) != 0) return {word & 0xffff, word >> 16};  // small element: up to 4 bytes inside the tag
        const std::uint64_t bytes = u32(tag + 4);
        if (bytes > in.left())
            damaged("has " + std::string(what) + " of " + std::to_string(bytes) + " bytes but only " +
                    std::to_string(in.left()) + " follow");
        if (more) skip(in, std::min(round_up_8(bytes), in.left()), what);
        return {word, bytes};
    }

    // `count` nested miMATRIX elements (cells, or struct fields), each walked and then skipped to
    // its end, so that every size inside is checked against bytes that really follow.
    void nested(Bounded& in, std::uint64_t count, bool compressed, NameRule name_rule, int depth, const char* what) {
        if (count > in.left() / 8)  // matio allocates a pointer per element; each takes at least a tag
            damaged("claims a " + std::string(what) + " of " + std::to_string(count) + " elements in " +
                    std::to_string(in.left()) + " bytes");
        for (std::uint64_t i = 0; i < count; ++i) {
            unsigned char tag[8];
            read(in, tag, 8, what);
            const std::uint32_t type = u32(tag), size = u32(tag + 4);
            if (size == 0) continue;  // an empty element
            if (type != mi_matrix) damaged("has a " + std::string(what) + " element of type " + std::to_string(type));
            if (size > in.left())
                damaged("has a " + std::string(what) + " element of " + std::to_string(size) + " bytes but only " +
                        std::to_string(in.left()) + " follow");
            Bounded element(in, size);
            matrix(element, compressed, name_rule, depth + 1);
            skip(element, element.left(), what);
        }
    }

    // A struct: the field name length, the field names, then elements x fields nested arrays.
    void struct_fields(Bounded& in, std::uint64_t elements, bool compressed, int depth) {
        unsigned char length_tag[8], names_tag[8];
        read(in, length_tag, 8, "field name length");
        const std::uint32_t name_length = u32(length_tag + 4);
        if ((u32(length_tag) & 0xffff) != mi_int32 || name_length == 0) damaged("has no valid field name length");
        read(in, names_tag, 8, "field names");
        std::uint64_t fields = 0;
        if (u32(names_tag) == mi_int8) {
            const std::uint32_t names_bytes = u32(names_tag + 4);
            fields = names_bytes / name_length;
            const std::uint64_t padded = round_up_8(fields * name_length);
            if (padded > in.left())
                damaged("has field names of " + std::to_string(names_bytes) + " bytes but only " +
                        std::to_string(in.left()) + " follow");
            skip(in, padded, "field names");
        } else if ((u32(names_tag) & 0xffff) == mi_int8) {
            fields = (u32(names_tag) >> 16) / name_length;  // names packed into the tag
        }
        nested(in, saturating_multiply(elements, fields), compressed, NameRule::TagOnly, depth, "struct");
    }

    std::string path_;
    bool swap_;
    std::uint64_t element_ = 0;  // file offset of the variable being walked, for messages
};

}  // namespace

void check_mat_file(const std::string& path) {
    // The size of the file we opened, not of whatever the path names a moment later: a save
    // renames a new version into place at any time (ConcurrentSaves), and each version is whole.
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) return;  // the caller reports it
    const std::streamoff end = in.tellg();
    if (end < 0) return;
    const auto file_size = static_cast<std::uint64_t>(end);
    in.seekg(0);

    // What matio decides from the 128-byte header: level 5 when the version is 0x0100 and the
    // endian indicator reads "IM" or "MI"; HDF5 (v7.3) for version 0x0200; level 4 otherwise.
    unsigned char header[128];
    in.read(reinterpret_cast<char*>(header), sizeof header);
    const bool full_header = in.gcount() == static_cast<std::streamsize>(sizeof header);
    in.clear();
    if (full_header && ((header[126] == 'I' && header[127] == 'M') || (header[126] == 'M' && header[127] == 'I'))) {
        const bool little = header[126] == 'I';  // "IM" read as a little-endian 16-bit 'MI'
        const bool swap = little != (std::endian::native == std::endian::little);
        const unsigned version = little ? (header[124] | header[125] << 8) : (header[124] << 8 | header[125]);
        if (version == 0x0100) return Walker(path, swap).level5(in, file_size);
        if (version == 0x0200) return;  // HDF5: read by libhdf5, which checks its own structures
    }
    Walker(path, false).level4(in, file_size);
}

}  // namespace digitnet
