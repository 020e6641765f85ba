#pragma once
// Tensor values as the raw bytes .safetensors and .npy files hold: IEEE float32 or float64,
// little-endian (or big-endian, which .npy files may declare).
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "digitnet/io/model_file.hpp"

namespace digitnet {

static_assert(std::endian::native == std::endian::little, "the tensor files' byte order is the host's here");

inline std::size_t element_bytes(TensorType type) { return type == TensorType::Float32 ? 4 : 8; }

// Appends `values` as `type`, little-endian: float32 rounds each value to nearest once.
inline void append_values(std::string& out, const std::vector<double>& values, TensorType type) {
    const std::size_t start = out.size();
    out.resize(start + values.size() * element_bytes(type));
    char* at = out.data() + start;
    for (double v : values) {
        if (type == TensorType::Float32) {
            const float f = static_cast<float>(v);
            std::memcpy(at, &f, 4);
            at += 4;
        } else {
            std::memcpy(at, &v, 8);
            at += 8;
        }
    }
}

// The values in `bytes` (a whole number of elements of `type`), as doubles.
inline std::vector<double> decode_values(std::string_view bytes, TensorType type, bool big_endian) {
    const std::size_t size = element_bytes(type), count = bytes.size() / size;
    std::vector<double> values(count);
    for (std::size_t i = 0; i < count; ++i) {
        unsigned char raw[8];
        std::memcpy(raw, bytes.data() + i * size, size);
        if (big_endian)
            for (std::size_t a = 0, b = size - 1; a < b; ++a, --b) std::swap(raw[a], raw[b]);
        if (type == TensorType::Float32) {
            float f;
            std::memcpy(&f, raw, 4);
            values[i] = f;
        } else {
            std::memcpy(&values[i], raw, 8);
        }
    }
    return values;
}

}  // namespace digitnet
