// Checkpoint files. A format of our own rather than a .mat: a checkpoint must give back every
// double to the bit and every count exactly (matio would do the doubles, but its integer and
// struct handling and its v7.3/HDF5 variants are far more than this needs), it must be checked
// whole before any of it is used (a checksum catches a truncated or damaged file, which .mat does
// not), and only digitnet reads it. The weights stay readable by the other tools through the
// model file the run saves beside it.
//
// The format, all little-endian, no padding:
//   bytes 0..7     "DNCKPT\r\n"   (the \r\n catches a text-mode transfer)
//   u32            version, 1
//   u32            optimizer: 0 gd, 1 cg, 2 adam, 3 sgd (the Optimizer enum)
//   u32 L+1, then L+1 x i32    the layer sizes s0..sL
//   i32 hidden activation, i32 output (the Activation and Output enums)
//   i64            iterations done
//   u64            seed; i32 batch; i32 examples
//   f64            cg_step; i32 cg_failures
//   then four arrays, each u64 count followed by count x f64:
//                  parameters (count = the layout's parameter count), first, second, history
//   u64            FNV-1a 64 of every byte before it
#include "digitnet/io/checkpoint_file.hpp"

#include <bit>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>

#include "digitnet/errors.hpp"
#include "digitnet/io/safe_output.hpp"

namespace digitnet {

namespace {

static_assert(std::endian::native == std::endian::little, "checkpoint files are written little-endian");

constexpr char kMagic[8] = {'D', 'N', 'C', 'K', 'P', 'T', '\r', '\n'};
constexpr std::uint32_t kVersion = 1;
constexpr int kMaxLayers = 1000;

std::uint64_t fnv1a(std::string_view bytes) {
    std::uint64_t hash = 0xcbf29ce484222325ull;
    for (unsigned char c : bytes) {
        hash ^= c;
        hash *= 0x100000001b3ull;
    }
    return hash;
}

class Writer {
public:
    template <class V>
    void put(V value) {
        char raw[sizeof(V)];
        std::memcpy(raw, &value, sizeof(V));
        bytes_.append(raw, sizeof(V));
    }
    void put_array(const std::vector<double>& values) {
        put<std::uint64_t>(values.size());
        bytes_.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(double));
    }
    std::string& bytes() { return bytes_; }

private:
    std::string bytes_;
};

class Reader {
public:
    Reader(std::string_view bytes, const std::string& path) : bytes_(bytes), path_(path) {}
    template <class V>
    V get() {
        need(sizeof(V));
        V value;
        std::memcpy(&value, bytes_.data() + at_, sizeof(V));
        at_ += sizeof(V);
        return value;
    }
    std::vector<double> get_array(std::uint64_t most, const char* what) {
        const auto count = get<std::uint64_t>();
        if (count > most)
            fail(std::string("its ") + what + " has " + std::to_string(count) + " values, expected at most " +
                 std::to_string(most));
        need(count * sizeof(double));
        std::vector<double> values(count);
        if (count > 0)  // an empty array's data() may be null, and memcpy from null is undefined even for 0 bytes
            std::memcpy(values.data(), bytes_.data() + at_, count * sizeof(double));
        at_ += count * sizeof(double);
        return values;
    }
    [[noreturn]] void fail(const std::string& why) const {
        throw InputError(path_ + ": not a usable digitnet checkpoint: " + why);
    }
    std::size_t at() const { return at_; }

private:
    void need(std::uint64_t n) const {
        if (n > bytes_.size() - at_) fail("it is truncated");
    }
    std::string_view bytes_;
    const std::string& path_;
    std::size_t at_ = 0;
};

}  // namespace

void write_checkpoint_file(const std::string& path, const Checkpoint& c) {
    Writer w;
    w.bytes().append(kMagic, sizeof kMagic);
    w.put<std::uint32_t>(kVersion);
    w.put<std::uint32_t>(static_cast<std::uint32_t>(c.state.optimizer));
    const Layout& layout = c.parameters.layout;
    w.put<std::uint32_t>(static_cast<std::uint32_t>(layout.sizes.size()));
    for (int size : layout.sizes) w.put<std::int32_t>(size);
    w.put<std::int32_t>(static_cast<std::int32_t>(layout.hidden));
    w.put<std::int32_t>(static_cast<std::int32_t>(layout.output));
    w.put<std::int64_t>(c.state.iterations);
    w.put<std::uint64_t>(c.state.seed);
    w.put<std::int32_t>(c.state.batch);
    w.put<std::int32_t>(c.state.examples);
    w.put<double>(c.state.cg_step);
    w.put<std::int32_t>(c.state.cg_failures);
    w.put_array(c.parameters.values);
    w.put_array(c.state.first);
    w.put_array(c.state.second);
    w.put_array(c.history);
    w.put<std::uint64_t>(fnv1a(w.bytes()));
    write_output_file(path, w.bytes());
}

Checkpoint read_checkpoint_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path + ": cannot open the checkpoint");
    std::ostringstream buffer;
    buffer << in.rdbuf();
    const std::string bytes = buffer.str();
    Reader r(bytes, path);
    if (bytes.size() < sizeof kMagic + 8 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
        r.fail("it does not start with a checkpoint's signature");
    std::uint64_t stored_hash;
    std::memcpy(&stored_hash, bytes.data() + bytes.size() - 8, 8);
    if (fnv1a(std::string_view(bytes).substr(0, bytes.size() - 8)) != stored_hash)
        r.fail("its checksum does not match (truncated or damaged)");
    Reader body(std::string_view(bytes).substr(0, bytes.size() - 8), path);
    body.get<std::uint64_t>();  // the signature, checked above
    const auto version = body.get<std::uint32_t>();
    if (version != kVersion) body.fail("format version " + std::to_string(version) + ", this digitnet reads 1");
    Checkpoint c;
    const auto optimizer = body.get<std::uint32_t>();
    if (optimizer > static_cast<std::uint32_t>(Optimizer::Sgd))
        body.fail("unknown optimizer " + std::to_string(optimizer));
    c.state.optimizer = static_cast<Optimizer>(optimizer);
    const auto layer_count = body.get<std::uint32_t>();
    if (layer_count < 2 || layer_count > kMaxLayers)
        body.fail("it has " + std::to_string(layer_count) + " layer sizes");
    std::vector<int> sizes;
    for (std::uint32_t l = 0; l < layer_count; ++l) {
        const auto size = body.get<std::int32_t>();
        if (size < 1) body.fail("a layer size of " + std::to_string(size));
        sizes.push_back(size);
    }
    const auto hidden = body.get<std::int32_t>(), output = body.get<std::int32_t>();
    if (hidden < 0 || hidden >= kActivationCount || output < 0 || output >= kOutputCount)
        body.fail("unknown activation or output");
    const Layout layout = make_layout(sizes.front(), std::vector<int>(sizes.begin() + 1, sizes.end() - 1), sizes.back(),
                                      static_cast<Activation>(hidden), static_cast<Output>(output));
    c.state.iterations = body.get<std::int64_t>();
    c.state.seed = body.get<std::uint64_t>();
    c.state.batch = body.get<std::int32_t>();
    c.state.examples = body.get<std::int32_t>();
    c.state.cg_step = body.get<double>();
    c.state.cg_failures = body.get<std::int32_t>();
    if (c.state.iterations < 0) body.fail("a negative iteration count");
    const std::uint64_t n = layout.parameter_count();
    c.parameters = Parameters(layout);
    c.parameters.values = body.get_array(n, "weights");
    if (c.parameters.values.size() != n)
        body.fail("it has " + std::to_string(c.parameters.values.size()) + " weights, its network " +
                  layout.describe() + " has " + std::to_string(n));
    c.state.first = body.get_array(n, "optimizer state");
    c.state.second = body.get_array(n, "optimizer state");
    c.history = body.get_array(static_cast<std::uint64_t>(c.state.iterations) + 1, "history");
    if (body.at() != bytes.size() - 8) body.fail("it has bytes after its last field");
    return c;
}

}  // namespace digitnet
