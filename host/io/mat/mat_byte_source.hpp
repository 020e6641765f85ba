#pragma once
// The byte sources the .mat check walks (mat_v5_walker.cpp): the file itself, a zlib stream
// inflated only as far as it is read, and a bounded window of either. Internal to host/io/mat.
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>

namespace digitnet::mat_check {

// Sizes multiplied without wrapping: an overflowing product reads as "more than any file".
constexpr std::uint64_t saturated = std::numeric_limits<std::uint64_t>::max();

inline std::uint64_t saturating_multiply(std::uint64_t a, std::uint64_t b) {
    if (a != 0 && b > saturated / a) return saturated;
    return a * b;
}

// Bytes read front to back, from the file or from an inflated element.
class Source {
public:
    virtual ~Source() = default;
    // Exactly n bytes into `out`; false when the data ends first.
    virtual bool read(unsigned char* out, std::size_t n) = 0;
    virtual bool skip(std::uint64_t n) = 0;
};

// Bytes [begin, end) of the file.
class FileSource final : public Source {
public:
    FileSource(std::ifstream& in, std::uint64_t begin, std::uint64_t end) : in_(in), position_(begin), end_(end) {}
    bool read(unsigned char* out, std::size_t n) override {
        if (n > end_ - position_) return false;
        in_.clear();
        in_.seekg(static_cast<std::streamoff>(position_));
        in_.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(n));
        if (!in_) return false;
        position_ += n;
        return true;
    }
    bool skip(std::uint64_t n) override {
        if (n > end_ - position_) return false;
        position_ += n;
        return true;
    }

private:
    std::ifstream& in_;
    std::uint64_t position_, end_;
};

// What the zlib stream in bytes [begin, end) of the file inflates to, inflated only as far as it
// is read: never more than the walk asks for, whatever the element claims.
class InflateSource final : public Source {
public:
    InflateSource(std::ifstream& in, std::uint64_t begin, std::uint64_t end)
        : file_(in, begin, end), left_(end - begin) {
        ready_ = inflateInit(&z_) == Z_OK;
    }
    ~InflateSource() override {
        if (ready_) inflateEnd(&z_);
    }
    InflateSource(const InflateSource&) = delete;
    InflateSource& operator=(const InflateSource&) = delete;

    bool read(unsigned char* out, std::size_t n) override {
        while (n > 0) {
            const auto want = static_cast<uInt>(std::min<std::size_t>(n, std::size_t{1} << 16));
            if (!inflate_into(out, want)) return false;
            out += want;
            n -= want;
        }
        return true;
    }
    bool skip(std::uint64_t n) override {
        unsigned char scratch[1 << 14];
        while (n > 0) {
            const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(n, sizeof scratch));
            if (!read(scratch, want)) return false;
            n -= want;
        }
        return true;
    }

private:
    bool inflate_into(unsigned char* out, uInt n) {
        if (!ready_ || ended_) return false;
        z_.next_out = out;
        z_.avail_out = n;
        while (z_.avail_out > 0) {
            if (z_.avail_in == 0) {
                const auto chunk = static_cast<std::size_t>(std::min<std::uint64_t>(sizeof input_, left_));
                if (chunk == 0 || !file_.read(input_, chunk)) return false;
                left_ -= chunk;
                z_.next_in = input_;
                z_.avail_in = static_cast<uInt>(chunk);
            }
            const int status = inflate(&z_, Z_NO_FLUSH);
            if (status == Z_STREAM_END) {
                ended_ = true;
                return z_.avail_out == 0;
            }
            if (status != Z_OK) return false;  // corrupt data (Z_DATA_ERROR), or no progress possible
        }
        return true;
    }

    FileSource file_;
    std::uint64_t left_;
    z_stream z_{};
    bool ready_ = false, ended_ = false;
    unsigned char input_[1 << 14];
};

// At most `size` bytes of another source: one element's content.
class Bounded final : public Source {
public:
    Bounded(Source& inner, std::uint64_t size) : inner_(inner), left_(size) {}
    bool read(unsigned char* out, std::size_t n) override {
        if (n > left_) return false;
        left_ -= n;
        return inner_.read(out, n);
    }
    bool skip(std::uint64_t n) override {
        if (n > left_) return false;
        left_ -= n;
        return inner_.skip(n);
    }
    std::uint64_t left() const { return left_; }

private:
    Source& inner_;
    std::uint64_t left_;
};

}  // namespace digitnet::mat_check
