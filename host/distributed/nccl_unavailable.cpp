// A build without NCCL (no CUDA, or no NCCL beside it): GPUs exchange gradients through MPI.
#include "digitnet/distributed/mpi_session.hpp"
#include "digitnet/distributed/nccl_communicator.hpp"
#include "digitnet/errors.hpp"

namespace digitnet {

bool nccl_compiled_in() { return false; }
std::string nccl_version() { return ""; }

std::unique_ptr<NcclCommunicator> make_nccl_communicator(Communicator&) {
    throw UnavailableError("this build has no NCCL (it needs the CUDA toolkit's nccl.h and libnccl at build time)");
}

}  // namespace digitnet
