// The communicator of a process on its own: nothing to exchange.
#include <cstdlib>

#include "digitnet/distributed/communicator.hpp"

namespace digitnet {

namespace {

class SingleProcess final : public Communicator {
public:
    int rank() const override { return 0; }
    int size() const override { return 1; }
    std::string describe() const override { return "1 process"; }
    void sum(std::span<double>) override {}
    long long max(long long value) override { return value; }
    long long min(long long value) override { return value; }
    void broadcast(std::string&, int) override {}
    [[noreturn]] void abort(int exit_code) override { std::exit(exit_code); }
};

}  // namespace

std::unique_ptr<Communicator> make_single_process_communicator() { return std::make_unique<SingleProcess>(); }

}  // namespace digitnet
