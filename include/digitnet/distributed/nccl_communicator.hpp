#pragma once
// NCCL between GPUs (one process per GPU): the gradient sum runs on the GPUs (NVLink, InfiniBand),
// everything else (rank, the small agreements, the abort) on the MPI communicator underneath.
// Declared in every build; without CUDA and NCCL, make_nccl_communicator throws UnavailableError.
#include <cstddef>
#include <memory>

#include "digitnet/cuda/device_sum.hpp"
#include "digitnet/distributed/communicator.hpp"

namespace digitnet {

// A Communicator for the host-side agreements (through MPI) and a DeviceSum for the CUDA backend's
// graph loop (the gradient and cost of every gd iteration, summed by NCCL inside the graph).
class NcclCommunicator : public Communicator, public DeviceSum {
public:
    // Both bases declare these; one declaration here makes the names unambiguous.
    int rank() const override = 0;
    int size() const override = 0;
    using DeviceSum::sum_on_device;

    // Sums `count` values in GPU memory over the processes, in place, on `stream` (enqueued, not
    // waited for; may be captured in a CUDA graph).
    virtual void sum_on_device(double* values, std::size_t count, CUstream_st* stream) = 0;
    virtual void sum_on_device(float* values, std::size_t count, CUstream_st* stream) = 0;
};

// A NCCL communicator over the processes of `mpi` (which must outlive it) on the current CUDA
// device: rank 0 makes the ncclUniqueId, MPI broadcasts it, every process joins. sum() on host
// buffers is staged through GPU memory. Throws UnavailableError without NCCL in the build,
// CommunicationError when NCCL fails.
std::unique_ptr<NcclCommunicator> make_nccl_communicator(Communicator& mpi);

}  // namespace digitnet
