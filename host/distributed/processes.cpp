// Deciding whether this program is one of several processes, from what the launcher put in the
// environment, before any MPI call.
#include <stdlib.h>  // setenv

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "digitnet/distributed/mpi_session.hpp"

namespace digitnet {

namespace {

std::optional<int> integer_variable(const char* name) {
    const char* text = std::getenv(name);
    if (!text || !*text) return std::nullopt;
    char* end = nullptr;
    const long value = std::strtol(text, &end, 10);
    if (*end != '\0' || value < 0 || value > 1 << 24) return std::nullopt;
    return static_cast<int>(value);
}

}  // namespace

bool started_by_mpi_launcher() {
    if (!mpi_compiled_in()) return false;
    // Open MPI's mpirun, MPICH's / Slurm's PMI, or PMIx (srun --mpi=pmix).
    return integer_variable("OMPI_COMM_WORLD_SIZE") || integer_variable("PMI_SIZE") || integer_variable("PMIX_RANK");
}

std::optional<int> local_rank_from_launcher() {
    for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID", "PMI_LOCAL_RANK"})
        if (const auto value = integer_variable(name)) return value;
    return std::nullopt;
}

void pin_gpu_to_local_rank() {
    const std::optional<int> local_rank = local_rank_from_launcher();
    if (!local_rank) return;
    const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
    std::string chosen = std::to_string(*local_rank);
    if (visible && *visible) {
        std::vector<std::string> devices;
        std::string list = visible;
        for (std::size_t start = 0; start <= list.size();) {
            const std::size_t comma = std::min(list.find(',', start), list.size());
            if (comma > start) devices.push_back(list.substr(start, comma - start));
            start = comma + 1;
        }
        if (devices.size() <= 1) return;  // already one device (or none): as the user said
        chosen = devices[static_cast<std::size_t>(*local_rank) % devices.size()];
    }
    ::setenv("CUDA_VISIBLE_DEVICES", chosen.c_str(), 1);
}

Processes::Processes(int& argc, char**& argv) {
    if (started_by_mpi_launcher()) {
        session_ = std::make_unique<MpiSession>(argc, argv);
        communicator_ = &session_->world();
    } else {
        single_ = make_single_process_communicator();
        communicator_ = single_.get();
    }
}

Processes::~Processes() = default;

}  // namespace digitnet
