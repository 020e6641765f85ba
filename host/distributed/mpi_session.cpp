// MPI: the session (init/finalize) and MPI_COMM_WORLD as a Communicator. Every call is checked;
// MPI_COMM_WORLD returns error codes instead of aborting, so a failure becomes one message.
#include "digitnet/distributed/mpi_session.hpp"

#include <mpi.h>

#include <climits>
#include <cstdio>
#include <cstdlib>

namespace digitnet {

namespace {

std::string mpi_error_text(int code) {
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) return "MPI error " + std::to_string(code);
    return std::string(text, static_cast<std::size_t>(length));
}

void check_mpi(int code, const char* call, const char* file, int line) {
    if (code == MPI_SUCCESS) return;
    throw CommunicationError(std::string(call) + " failed at " + file + ":" + std::to_string(line) + ": " +
                             mpi_error_text(code) + " (another process may have stopped)");
}

#define MPI_CHECK(call) check_mpi((call), #call, __FILE__, __LINE__)

class MpiWorld final : public Communicator {
public:
    MpiWorld() {
        MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank_));
        MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &size_));
    }
    int rank() const override { return rank_; }
    int size() const override { return size_; }
    std::string describe() const override {
        return std::to_string(size_) + " processes (" + mpi_library_version() + ")";
    }

    void sum(std::span<double> values) override {
        // MPI counts are int: larger buffers go in pieces (never needed for our networks).
        for (std::size_t done = 0; done < values.size();) {
            const int count = static_cast<int>(std::min<std::size_t>(values.size() - done, INT_MAX));
            MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, values.data() + done, count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD));
            done += static_cast<std::size_t>(count);
        }
    }
    long long max(long long value) override {
        MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_LONG_LONG, MPI_MAX, MPI_COMM_WORLD));
        return value;
    }
    long long min(long long value) override {
        MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_LONG_LONG, MPI_MIN, MPI_COMM_WORLD));
        return value;
    }
    void broadcast(std::string& text, int root) override {
        long long length = static_cast<long long>(text.size());
        MPI_CHECK(MPI_Bcast(&length, 1, MPI_LONG_LONG, root, MPI_COMM_WORLD));
        text.resize(static_cast<std::size_t>(length));
        if (length > 0) MPI_CHECK(MPI_Bcast(text.data(), static_cast<int>(length), MPI_CHAR, root, MPI_COMM_WORLD));
    }
    [[noreturn]] void abort(int exit_code) override {
        std::fflush(stdout);
        std::fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, exit_code);
        std::_Exit(exit_code);  // MPI_Abort does not return; should it, end this process at least
    }

private:
    int rank_ = 0, size_ = 1;
};

}  // namespace

bool mpi_compiled_in() { return true; }

std::string mpi_library_version() {
    // Callable before MPI_Init (MPI 3.0).
    char text[MPI_MAX_LIBRARY_VERSION_STRING];
    int length = 0;
    if (MPI_Get_library_version(text, &length) != MPI_SUCCESS) return "MPI (version unknown)";
    // "Open MPI v4.1.4, package: ..., ident: ...": the name and version are enough.
    const std::string version(text, static_cast<std::size_t>(length));
    return version.substr(0, version.find_first_of(",\n"));
}

MpiSession::MpiSession(int& argc, char**& argv) {
    int provided = 0;
    MPI_CHECK(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided));
    MPI_CHECK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
    if (provided < MPI_THREAD_FUNNELED) {
        MPI_Finalize();
        throw CommunicationError("MPI_Init_thread: the MPI library does not support MPI_THREAD_FUNNELED");
    }
    world_ = std::make_unique<MpiWorld>();
}

MpiSession::~MpiSession() {
    world_.reset();
    int finalized = 0;
    if (MPI_Finalized(&finalized) == MPI_SUCCESS && !finalized) MPI_Finalize();
}

Communicator& MpiSession::world() { return *world_; }

}  // namespace digitnet
