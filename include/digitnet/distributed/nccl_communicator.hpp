#pragma once
// NCCL between GPUs (one process per GPU): the gradient sum runs on the GPUs (NVLink, InfiniBand),
// everything else (rank, the small agreements, the abort) on the MPI communicator underneath.
// Declared in every build; without CUDA and NCCL, make_nccl_communicator throws UnavailableError.
#include <cstddef>
#include <memory>

#include "digitnet/distributed/communicator.hpp"

struct CUstream_st;  // cudaStream_t is CUstream_st*, as the CUDA runtime declares it

namespace digitnet {

class NcclCommunicator : public Communicator {
public:
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
