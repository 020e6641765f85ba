#include "digitnet/io/png_image.hpp"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>

#include "digitnet/errors.hpp"
#include "digitnet/io/safe_output.hpp"

namespace digitnet {

GrayImage tile_grid(const std::vector<std::vector<double>>& tiles, ImageShape shape, int columns, int zoom) {
    const int count = static_cast<int>(tiles.size());
    const int grid_rows = (count + columns - 1) / columns;
    const int pad = 1;
    GrayImage image;
    image.width = (pad + columns * (shape.cols + pad)) * zoom;
    image.height = (pad + grid_rows * (shape.rows + pad)) * zoom;
    image.pixels.assign(static_cast<std::size_t>(image.width) * image.height, 0.0);
    for (int t = 0; t < count; ++t) {
        const auto& tile = tiles[static_cast<std::size_t>(t)];
        double largest = 0.0;
        for (double v : tile) largest = std::max(largest, std::abs(v));
        if (largest == 0.0) largest = 1.0;
        const int top = pad + (t / columns) * (shape.rows + pad), left = pad + (t % columns) * (shape.cols + pad);
        for (int r = 0; r < shape.rows; ++r)
            for (int c = 0; c < shape.cols; ++c) {
                const int index = shape.column_major ? c * shape.rows + r : r * shape.cols + c;
                const double value = (tile[static_cast<std::size_t>(index)] / largest + 1.0) / 2.0;
                for (int dy = 0; dy < zoom; ++dy)
                    for (int dx = 0; dx < zoom; ++dx)
                        image.pixels[static_cast<std::size_t>((top + r) * zoom + dy) * image.width + (left + c) * zoom +
                                     dx] = value;
            }
    }
    return image;
}

namespace {
ImageShape require_square(ImageShape shape, int features, const std::string& what) {
    if (shape.rows * shape.cols != features || shape.rows == 0)
        throw InputError(what + ": " + std::to_string(features) + " features are not a square image");
    return shape;
}
int grid_columns(int count) { return std::max(1, static_cast<int>(std::ceil(std::sqrt(double(count))))); }
}  // namespace

GrayImage random_digits(const Dataset& data, int count, std::uint64_t seed, int zoom) {
    const ImageShape shape = require_square(data.image, data.features(), data.source);
    count = std::min(count, data.examples());
    std::mt19937_64 generator(seed);
    std::vector<int> order(static_cast<std::size_t>(data.examples()));
    for (int i = 0; i < data.examples(); ++i) order[static_cast<std::size_t>(i)] = i;
    std::shuffle(order.begin(), order.end(), generator);
    std::vector<std::vector<double>> tiles;
    for (int t = 0; t < count; ++t) {
        const double* row = data.X.row(order[static_cast<std::size_t>(t)]);
        tiles.emplace_back(row, row + data.features());
    }
    return tile_grid(tiles, shape, grid_columns(count), zoom);
}

GrayImage hidden_units(const Parameters& parameters, ImageShape shape, int zoom) {
    const Layout& layout = parameters.layout;
    require_square(shape, layout.inputs(), "the model's input layer");
    std::vector<std::vector<double>> tiles;
    for (int j = 0; j < layout.theta_rows(1); ++j) {
        const auto theta = parameters.theta(1).subspan(static_cast<std::size_t>(j) * layout.theta_cols(1) + 1,
                                                       static_cast<std::size_t>(layout.inputs()));
        tiles.emplace_back(theta.begin(), theta.end());
    }
    return tile_grid(tiles, shape, grid_columns(layout.theta_rows(1)), zoom);
}

GrayImage read_png(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw InputError(path + ": no such file");
    png_image png{};
    png.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&png, path.c_str()))
        throw InputError(path + ": not a PNG image that libpng can read (" + std::string(png.message) + ")");
    // The header alone decides how much we allocate (two bytes a pixel, before any pixel is
    // decoded), and a PNG of a hundred bytes can claim 16384 x 16384: cap the total as well as
    // each side (found by fuzz_png: 512 MiB for such a file).
    constexpr std::uint64_t max_side = 16384, max_pixels = std::uint64_t{1} << 24;  // 16 megapixels
    if (png.width == 0 || png.height == 0 || png.width > max_side || png.height > max_side ||
        std::uint64_t{png.width} * png.height > max_pixels) {
        png_image_free(&png);
        throw InputError(path + ": image of " + std::to_string(png.width) + " x " + std::to_string(png.height) +
                         " pixels is empty or too large (at most 16384 on a side and 16 megapixels)");
    }
    png.format = PNG_FORMAT_GA;  // grey + alpha, 8 bits: libpng converts colour and depth
    std::vector<png_byte> bytes(PNG_IMAGE_SIZE(png));
    if (!png_image_finish_read(&png, nullptr, bytes.data(), 0, nullptr))
        throw InputError(path + ": cannot decode the PNG (" + std::string(png.message) + ")");

    GrayImage image;
    image.width = static_cast<int>(png.width);
    image.height = static_cast<int>(png.height);
    const std::size_t count = static_cast<std::size_t>(image.width) * image.height;
    // The opaque pixels' mean says whether the strokes are dark or light.
    double opaque_sum = 0.0, opaque_count = 0.0;
    for (std::size_t i = 0; i < count; ++i) {
        const double alpha = bytes[2 * i + 1] / 255.0;
        opaque_sum += alpha * bytes[2 * i] / 255.0;
        opaque_count += alpha;
    }
    const double canvas = opaque_count > 0 && opaque_sum / opaque_count < 0.5 ? 1.0 : 0.0;
    image.pixels.resize(count);
    for (std::size_t i = 0; i < count; ++i) {
        const double alpha = bytes[2 * i + 1] / 255.0;
        image.pixels[i] = alpha * bytes[2 * i] / 255.0 + (1.0 - alpha) * canvas;
    }
    return image;
}

void write_png(const std::string& path, const GrayImage& image) {
    check_output_path(path, "the output");
    std::vector<png_byte> bytes(image.pixels.size());
    for (std::size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<png_byte>(std::lround(std::clamp(image.pixels[i], 0.0, 1.0) * 255.0));
    // libpng's simplified API, into memory (no setjmp, an error string instead of a longjmp); the
    // file itself is written by write_output_file, which checks every call.
    png_image png{};
    png.version = PNG_IMAGE_VERSION;
    png.width = static_cast<png_uint_32>(image.width);
    png.height = static_cast<png_uint_32>(image.height);
    png.format = PNG_FORMAT_GRAY;
    png_alloc_size_t size = 0;
    if (!png_image_write_to_memory(&png, nullptr, &size, 0, bytes.data(), image.width, nullptr))
        throw OutputError(path + ": cannot encode the PNG (" + std::string(png.message) + ")");
    std::string encoded(size, '\0');
    if (!png_image_write_to_memory(&png, encoded.data(), &size, 0, bytes.data(), image.width, nullptr))
        throw OutputError(path + ": cannot encode the PNG (" + std::string(png.message) + ")");
    encoded.resize(size);
    write_output_file(path, encoded);
}

}  // namespace digitnet
