#pragma once
// Starting and ending MPI for the whole program. digitnet uses MPI only when it was built with it
// and started by a launcher (mpirun, srun): otherwise it is the single process it always was.
#include <memory>
#include <optional>
#include <string>

#include "digitnet/distributed/communicator.hpp"

namespace digitnet {

// What this build can do, for `digitnet info`.
bool mpi_compiled_in();
std::string mpi_library_version();  // "Open MPI v4.1.4", or "" without MPI
bool nccl_compiled_in();
std::string nccl_version();  // "2.27.7", or "" without NCCL

// True when a launcher started this process as one of several (Open MPI's OMPI_COMM_WORLD_SIZE,
// PMI_SIZE of MPICH/Slurm, PMIX_RANK of PMIx) and the build has MPI.
bool started_by_mpi_launcher();

// This process's index among the processes of its machine (for the GPU it takes), or nothing
// when the launcher does not say.
std::optional<int> local_rank_from_launcher();

// One GPU per process on each machine: unless CUDA_VISIBLE_DEVICES already names a single device,
// narrows it to the local rank's device (item local_rank % count of its list, or device
// local_rank when unset). Must run before the first CUDA call. No-op without a local rank.
void pin_gpu_to_local_rank();

// MPI_Init_thread on construction (MPI_THREAD_FUNNELED: only the main thread calls MPI; OpenMP
// threads compute), MPI_Finalize on destruction. Errors on MPI_COMM_WORLD return codes (never
// abort silently); every call is checked and a failure is a DeviceError naming the call. At most
// one per program.
class MpiSession {
public:
    MpiSession(int& argc, char**& argv);
    ~MpiSession();
    MpiSession(const MpiSession&) = delete;
    MpiSession& operator=(const MpiSession&) = delete;

    // MPI_COMM_WORLD as a Communicator; lives as long as the session.
    Communicator& world();

private:
    std::unique_ptr<Communicator> world_;
};

// The processes this program runs as: an MpiSession's world when started_by_mpi_launcher(),
// otherwise a single process. Owns the session.
class Processes {
public:
    Processes(int& argc, char**& argv);
    ~Processes();
    Communicator& communicator() { return *communicator_; }

private:
    std::unique_ptr<MpiSession> session_;
    std::unique_ptr<Communicator> single_;
    Communicator* communicator_ = nullptr;
};

}  // namespace digitnet
