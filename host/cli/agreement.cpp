#include "agreement.hpp"

#include <new>

#include "digitnet/errors.hpp"
#include "safety.hpp"

namespace digitnet::cli {

Failure failure_of(std::exception_ptr error) {
    try {
        std::rethrow_exception(error);
    } catch (const AgreedFailure& e) {
        return e.failure();
    } catch (const InputError& e) {
        return {2, std::string("error: ") + e.what()};
    } catch (const UnavailableError& e) {
        return {2, std::string("error: ") + e.what()};
    } catch (const std::bad_alloc&) {
        // The commands estimate what they need before allocating (safety.hpp); this is what slips past.
        return {2, "error: out of memory while " + current_step() +
                       "; HINT: use fewer or smaller hidden layers (--hidden), fewer examples, or --precision float"};
    } catch (const DeviceError& e) {
        return {1, std::string("GPU error: ") + e.what()};
    } catch (const std::exception& e) {
        return {1, std::string("error: ") + e.what()};
    } catch (...) {
        return {1, "error: unknown failure"};
    }
}

void agree(Communicator& processes, const std::optional<Failure>& mine) {
    const long long first_failing = processes.min(mine ? processes.rank() : processes.size());
    if (first_failing == processes.size()) return;
    const int root = static_cast<int>(first_failing);
    std::string line = mine ? mine->line : std::string();
    std::string code = mine ? std::to_string(mine->exit_code) : std::string();
    processes.broadcast(line, root);
    processes.broadcast(code, root);
    // Say which process failed when it is not the one that prints.
    if (root != 0) line += " (on process " + std::to_string(root) + " of " + std::to_string(processes.size()) + ")";
    throw AgreedFailure(Failure{std::stoi(code), line});
}

}  // namespace digitnet::cli
