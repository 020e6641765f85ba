#pragma once
// What the CUDA backend needs from the processes of a data-parallel run to sum its shard's cost and
// gradient on the device, inside its captured CUDA graph (DESIGN.md, "Several processes"). The
// backend knows the processes only through this interface; NcclCommunicator
// (digitnet/distributed/nccl_communicator.hpp) implements it with ncclAllReduce.
#include <cstddef>

struct CUstream_st;  // cudaStream_t is CUstream_st*, as the CUDA runtime declares it

namespace digitnet {

class DeviceSum {
public:
    virtual ~DeviceSum() = default;

    virtual int rank() const = 0;  // 0..size()-1
    virtual int size() const = 0;

    // Sums, over the processes, element by element and in place, `count` values and
    // `scalar_count` doubles in GPU memory, as ONE operation (a grouped NCCL call): the gradient in
    // the network's type and a few numbers that must stay in double (the cost). Enqueued on
    // `stream`, not waited for; may be captured in a CUDA graph. Every process gets the same sums.
    virtual void sum_on_device(float* values, std::size_t count, double* scalars, std::size_t scalar_count,
                               CUstream_st* stream) = 0;
    virtual void sum_on_device(double* values, std::size_t count, double* scalars, std::size_t scalar_count,
                               CUstream_st* stream) = 0;
};

}  // namespace digitnet
