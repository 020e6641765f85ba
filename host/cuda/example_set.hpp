#pragma once
// The examples on the device: the training set, uploaded once, and the current mini-batch,
// gathered from it on the device.
//
// Every buffer is row-major, one example a row:
//   a[0] = A0       (m, s0 + 1)        a[l] (m, s_l + 1) for hidden l, bias in column 0
//   z_out           (m, K)             z_L
//   Y               (m, K)             one-hot labels
//   delta[l]        (m, s_l)           d_l, l = 1..L
// An ExampleSet holds these for `capacity` examples, and a pass over it uses the first m() of them.
// There are two: the training set, and a mini-batch for cost_and_gradient_on. The mini-batch is
// allocated for the largest batch seen so far and reused (a smaller batch uses a prefix of each
// buffer, and its own m and 1/m), so a training run with a fixed batch size allocates once. A
// mini-batch is one upload (1/m and the row indices, packed into one pinned buffer) and gather_rows
// copies the chosen rows of A0 and Y from the training set into the batch on the device.
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cublas_gemm.hpp"
#include "device_buffer.hpp"
#include "digitnet/model/dataset.hpp"
#include "digitnet/model/layout.hpp"
#include "digitnet/model/matrix.hpp"

namespace digitnet::cuda {

// The activations of one forward pass over m examples: a[0] = A0 .. a[L-1], and z_L. In
// --precision bf16 also a_bf16[l], the BF16 copy of a[l] that the GEMMs read (the activation
// derivative reads the FP32 a[l]).
template <class T>
struct Activations {
    int m = 0;
    std::vector<DeviceBuffer<T>> a;
    DeviceBuffer<T> z_out;
    std::vector<DeviceBuffer<std::uint16_t>> a_bf16;  // bf16 only, else empty

    GemmInput<T> input(int l) const { return {a[l].data(), a_bf16.empty() ? nullptr : a_bf16[l].data()}; }
};

// bf16: with the BF16 copies.
template <class T>
Activations<T> make_activations(const Layout& layout, int m, bool bf16 = false);

// In bf16 (activations.a_bf16 not empty): a_bf16[l] from the first m rows of a[l], queued.
template <class T>
void enqueue_bf16_copy(const Layout& layout, Activations<T>& activations, int l, cudaStream_t stream);

// X (m, s0) in double on the host -> a[0] = A0 = [1, X] (m, s0+1) in T on the device (and its BF16
// copy in bf16). Waits for the stream (the staging buffer is freed on return).
template <class T>
void upload_inputs(const Matrix<double>& X, Activations<T>& activations, cudaStream_t stream);

// How many cost partial sums the output kernel of the layout's output writes for m examples.
int output_cost_partials(const Layout& layout, int m);

// Everything a cost-and-gradient pass over a set of examples writes or reads per example.
//   header: 1/m in T (the gradient GEMMs' alpha, read from the device), then, for a mini-batch,
//           room for `capacity` row indices (int): both arrive in one upload. sizeof(T) is a
//           multiple of alignof(int), so the indices are aligned.
template <class T>
struct ExampleSet {
    int capacity = 0;
    Activations<T> act;  // act.m = m, the examples in use (<= capacity)
    DeviceBuffer<T> Y;
    std::vector<DeviceBuffer<T>> delta;                   // delta[l], l = 1..L (delta[0] unused)
    std::vector<DeviceBuffer<std::uint16_t>> delta_bf16;  // bf16 only: delta[l]'s BF16 copy
    DeviceBuffer<std::byte> header;
    DeviceBuffer<double> cost_partials;  // output_cost_partials(layout, capacity)

    static constexpr std::size_t kScalarBytes = sizeof(T);
    int m() const { return act.m; }
    const T* inverse_m() const { return reinterpret_cast<const T*>(header.data()); }
    int* rows() { return reinterpret_cast<int*>(header.data() + kScalarBytes); }
    GemmInput<T> delta_input(int l) const {
        return {delta[l].data(), delta_bf16.empty() ? nullptr : delta_bf16[l].data()};
    }
    // In bf16: delta_bf16[l] from delta[l] (its first m rows of `units`), queued; nothing otherwise.
    void enqueue_delta_bf16_copy(int l, int units, cudaStream_t stream);
};

template <class T>
class DeviceExamples {
public:
    // Uploads the training set (already checked with check_fits): A0 = [1, X] and the one-hot Y,
    // built on the device, and 1/m. Waits for the stream. bf16: the sets carry BF16 copies of
    // their GEMM inputs.
    DeviceExamples(const Layout& layout, const Dataset& train, cudaStream_t stream, bool bf16 = false);

    int examples() const { return train_.m(); }
    ExampleSet<T>& all() { return train_; }

    // The given rows of the training set as a mini-batch: checked here (the gather kernel trusts
    // them; InputError when empty, outside 0..examples()-1, or too many), staged with 1/m in
    // pinned memory, uploaded in one copy and gathered on the device. Queued on the stream; the
    // caller waits for it before the next call (the staging buffer is reused).
    ExampleSet<T>& gather(std::span<const int> rows);

private:
    void reserve_batch(int m);

    Layout layout_;
    cudaStream_t stream_;
    bool bf16_ = false;
    int widest_row_ = 0;  // the most elements one example has in any per-example buffer
    ExampleSet<T> train_;
    ExampleSet<T> batch_;                    // empty until the first gather
    PinnedBuffer<std::byte> batch_staging_;  // batch_.header's host side: 1/m and the rows
};

}  // namespace digitnet::cuda
