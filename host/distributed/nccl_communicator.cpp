// NCCL for the gradient sum between GPUs; MPI underneath for everything else. Every CUDA and NCCL
// call is checked; a failure names the call.
#include "digitnet/distributed/nccl_communicator.hpp"

#include <cuda_runtime_api.h>
#include <nccl.h>

#include <cstdlib>
#include <cstring>

#include "digitnet/distributed/mpi_session.hpp"
#include "digitnet/errors.hpp"

namespace digitnet {

namespace {

void check_cuda(cudaError_t status, const char* call, const char* file, int line) {
    if (status == cudaSuccess) return;
    cudaGetLastError();
    throw DeviceError(std::string("CUDA error: ") + call + " failed at " + file + ":" + std::to_string(line) + ": " +
                      cudaGetErrorName(status) + " (" + cudaGetErrorString(status) + ")");
}

void check_nccl(ncclResult_t status, const char* call, const char* file, int line) {
    if (status == ncclSuccess) return;
    throw CommunicationError(std::string("NCCL error: ") + call + " failed at " + file + ":" + std::to_string(line) +
                             ": " + ncclGetErrorString(status) +
                             " (another process may have stopped; NCCL_DEBUG=WARN says more)");
}

#define NCCL_CUDA_CHECK(call) check_cuda((call), #call, __FILE__, __LINE__)
#define NCCL_CHECK(call) check_nccl((call), #call, __FILE__, __LINE__)

// ncclGroupStart on construction; end() is ncclGroupEnd, checked. Should a call inside the group
// throw, the destructor still closes the group (unchecked: the first error is the one reported), so
// that the thread is not left inside a group.
class GroupCall {
public:
    GroupCall() { NCCL_CHECK(ncclGroupStart()); }
    ~GroupCall() {
        if (open_) ncclGroupEnd();
    }
    GroupCall(const GroupCall&) = delete;
    GroupCall& operator=(const GroupCall&) = delete;
    void end() {
        open_ = false;
        NCCL_CHECK(ncclGroupEnd());
    }

private:
    bool open_ = true;
};

class Nccl final : public NcclCommunicator {
public:
    explicit Nccl(Communicator& mpi) : mpi_(mpi) {
        // Rank 0 makes the id; the others receive it over MPI, then all join at once.
        ncclUniqueId id{};
        if (mpi_.is_root()) NCCL_CHECK(ncclGetUniqueId(&id));
        std::string bytes(reinterpret_cast<const char*>(&id), sizeof id);
        mpi_.broadcast(bytes, 0);
        if (bytes.size() != sizeof id) throw CommunicationError("NCCL: the broadcast ncclUniqueId has the wrong size");
        std::memcpy(&id, bytes.data(), sizeof id);
        NCCL_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
        NCCL_CHECK(ncclCommInitRank(&comm_, mpi_.size(), id, mpi_.rank()));
    }
    ~Nccl() override {
        if (comm_) ncclCommDestroy(comm_);
        if (staging_) cudaFree(staging_);
        if (stream_) cudaStreamDestroy(stream_);
    }
    Nccl(const Nccl&) = delete;
    Nccl& operator=(const Nccl&) = delete;

    int rank() const override { return mpi_.rank(); }
    int size() const override { return mpi_.size(); }
    std::string describe() const override { return mpi_.describe() + ", NCCL " + nccl_version(); }

    void sum(std::span<double> values) override {
        if (values.empty()) return;
        const std::size_t bytes = values.size_bytes();
        if (bytes > staging_bytes_) {
            if (staging_) NCCL_CUDA_CHECK(cudaFree(staging_));
            staging_ = nullptr;
            NCCL_CUDA_CHECK(cudaMalloc(&staging_, bytes));
            staging_bytes_ = bytes;
        }
        double* device = static_cast<double*>(staging_);
        NCCL_CUDA_CHECK(cudaMemcpyAsync(device, values.data(), bytes, cudaMemcpyHostToDevice, stream_));
        sum_on_device(device, values.size(), stream_);
        NCCL_CUDA_CHECK(cudaMemcpyAsync(values.data(), device, bytes, cudaMemcpyDeviceToHost, stream_));
        NCCL_CUDA_CHECK(cudaStreamSynchronize(stream_));
    }
    void sum_on_device(double* values, std::size_t count, CUstream_st* stream) override {
        NCCL_CHECK(ncclAllReduce(values, values, count, ncclDouble, ncclSum, comm_, stream));
    }
    void sum_on_device(float* values, std::size_t count, CUstream_st* stream) override {
        NCCL_CHECK(ncclAllReduce(values, values, count, ncclFloat, ncclSum, comm_, stream));
    }
    // The two allreduces of a group are one NCCL operation (one launch, aggregated): the gradient
    // in its own type and the cost in double, without a conversion kernel on either side.
    void sum_on_device(float* values, std::size_t count, double* scalars, std::size_t scalar_count,
                       CUstream_st* stream) override {
        GroupCall group;
        NCCL_CHECK(ncclAllReduce(values, values, count, ncclFloat, ncclSum, comm_, stream));
        NCCL_CHECK(ncclAllReduce(scalars, scalars, scalar_count, ncclDouble, ncclSum, comm_, stream));
        group.end();
    }
    void sum_on_device(double* values, std::size_t count, double* scalars, std::size_t scalar_count,
                       CUstream_st* stream) override {
        GroupCall group;
        NCCL_CHECK(ncclAllReduce(values, values, count, ncclDouble, ncclSum, comm_, stream));
        NCCL_CHECK(ncclAllReduce(scalars, scalars, scalar_count, ncclDouble, ncclSum, comm_, stream));
        group.end();
    }

    long long max(long long value) override { return mpi_.max(value); }
    long long min(long long value) override { return mpi_.min(value); }
    void broadcast(std::string& text, int root) override { mpi_.broadcast(text, root); }
    [[noreturn]] void abort(int exit_code) override {
        if (comm_) ncclCommAbort(comm_);  // do not wait for peers that will never come
        comm_ = nullptr;
        mpi_.abort(exit_code);
        std::_Exit(exit_code);  // not reached: MPI_Abort ends the process
    }

private:
    Communicator& mpi_;
    ncclComm_t comm_ = nullptr;
    cudaStream_t stream_ = nullptr;
    void* staging_ = nullptr;
    std::size_t staging_bytes_ = 0;
};

}  // namespace

bool nccl_compiled_in() { return true; }

std::string nccl_version() {
    int version = 0;
    if (ncclGetVersion(&version) != ncclSuccess) return "(version unknown)";
    // NCCL 2.9 and later: major * 10000 + minor * 100 + patch.
    return std::to_string(version / 10000) + "." + std::to_string(version / 100 % 100) + "." +
           std::to_string(version % 100);
}

std::unique_ptr<NcclCommunicator> make_nccl_communicator(Communicator& mpi) { return std::make_unique<Nccl>(mpi); }

}  // namespace digitnet
