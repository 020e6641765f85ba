// A build without MPI: always one process (started_by_mpi_launcher() is then false).
#include "digitnet/distributed/mpi_session.hpp"

namespace digitnet {

bool mpi_compiled_in() { return false; }
std::string mpi_library_version() { return ""; }

MpiSession::MpiSession(int&, char**&) {
    throw CommunicationError("this build has no MPI (install libopenmpi-dev and rebuild)");
}
MpiSession::~MpiSession() = default;
Communicator& MpiSession::world() { return *world_; }

}  // namespace digitnet
