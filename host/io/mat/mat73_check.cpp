// The v7.3 (HDF5) side of the .mat check: one variable's datatype and chunk shape, read with
// libhdf5 before matio asks it for the data (see mat_file_check.hpp).
#include <hdf5.h>

#include <cstdint>
#include <string>

#include "digitnet/errors.hpp"
#include "mat_byte_source.hpp"
#include "mat_file_check.hpp"

namespace digitnet {

namespace {

using mat_check::saturated;
using mat_check::saturating_multiply;

// An HDF5 identifier, closed by the function that goes with its kind.
class Hid {
public:
    Hid(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
    ~Hid() {
        if (id_ >= 0) close_(id_);
    }
    Hid(const Hid&) = delete;
    Hid& operator=(const Hid&) = delete;
    hid_t get() const { return id_; }
    bool valid() const { return id_ >= 0; }

private:
    hid_t id_;
    herr_t (*close_)(hid_t);
};

}  // namespace

void check_mat73_variable(const std::string& path, const char* name, unsigned long long file_bytes) {
    // We report problems ourselves, in one line; matio silences libhdf5's error stack too.
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    const Hid file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    if (!file.valid()) return;  // matio opened it; if libhdf5 cannot now, matio's read fails cleanly
    if (H5Lexists(file.get(), name, H5P_DEFAULT) <= 0) return;
    const Hid dataset(H5Dopen2(file.get(), name, H5P_DEFAULT), H5Dclose);
    if (!dataset.valid()) return;  // a group (a struct or cell), or damaged: matio reports it
    const std::string where = path + ": damaged .mat file: variable " + name;

    // Values: integers or floats of at most 8 bytes, or matio's complex {real, imag} pairs.
    const Hid type(H5Dget_type(dataset.get()), H5Tclose);
    if (!type.valid()) throw InputError(where + " has no readable datatype");
    const std::size_t value_bytes = H5Tget_size(type.get());
    const H5T_class_t value_class = H5Tget_class(type.get());
    const bool plain = value_class == H5T_INTEGER || value_class == H5T_FLOAT;
    if (value_bytes == 0 || value_bytes > (plain ? 8u : 16u))
        throw InputError(where + " has values of " + std::to_string(value_bytes) + " bytes each");

    // Every size libhdf5 allocates by: the whole dataset, and one chunk.
    const std::uint64_t most = saturating_multiply(file_bytes, 1100);
    const auto check_extent = [&](const hsize_t* dims, int rank, const char* what) {
        std::uint64_t elements = 1;
        for (int d = 0; d < rank; ++d) elements = saturating_multiply(elements, dims[d]);
        if (saturating_multiply(elements, value_bytes) > most)
            throw InputError(where + " has " + what + " of " + std::to_string(elements) + " values of " +
                             std::to_string(value_bytes) + " bytes, more than a file of " + std::to_string(file_bytes) +
                             " bytes can hold");
    };
    constexpr int max_rank = 32;  // H5S_MAX_RANK
    hsize_t dims[max_rank];
    const Hid space(H5Dget_space(dataset.get()), H5Sclose);
    const int rank = space.valid() ? H5Sget_simple_extent_ndims(space.get()) : -1;
    if (rank < 0 || rank > max_rank) throw InputError(where + " has no readable shape");
    if (H5Sget_simple_extent_dims(space.get(), dims, nullptr) < 0) throw InputError(where + " has no readable shape");
    check_extent(dims, rank, "a shape");
    const Hid create(H5Dget_create_plist(dataset.get()), H5Pclose);
    if (create.valid() && H5Pget_layout(create.get()) == H5D_CHUNKED) {
        const int chunk_rank = H5Pget_chunk(create.get(), max_rank, dims);
        if (chunk_rank < 0 || chunk_rank > max_rank) throw InputError(where + " has no readable chunk shape");
        check_extent(dims, chunk_rank, "chunks");
    }
}

}  // namespace digitnet
