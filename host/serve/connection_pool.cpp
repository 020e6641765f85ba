#include "connection_pool.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace digitnet::serve {

ConnectionPool::ConnectionPool(std::size_t workers, int port) : pool_(workers), port_(port) {}

void ConnectionPool::enqueue(std::function<void()> task) { pool_.enqueue(std::move(task)); }

void ConnectionPool::shutdown() {
    end_connections_on_port(port_);
    pool_.shutdown();
}

int end_connections_on_port(int port) {
    // The process's open descriptors are the one list of the sockets cpp-httplib accepted: it
    // keeps none itself. A descriptor closed (or reused for a file) meanwhile is no connected
    // socket on this port, and is left alone.
    int ended = 0;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", error)) {
        char* end = nullptr;
        const std::string name = entry.path().filename().string();
        const long fd = std::strtol(name.c_str(), &end, 10);
        if (end == name.c_str() || *end != '\0') continue;
        sockaddr_storage local{};
        socklen_t length = sizeof local;
        if (getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&local), &length) != 0) continue;
        int local_port = -1;
        if (local.ss_family == AF_INET) local_port = ntohs(reinterpret_cast<const sockaddr_in*>(&local)->sin_port);
        if (local.ss_family == AF_INET6) local_port = ntohs(reinterpret_cast<const sockaddr_in6*>(&local)->sin6_port);
        if (local_port != port) continue;
        int listening = 0;
        socklen_t size = sizeof listening;
        if (getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) != 0 || listening) continue;
        if (::shutdown(static_cast<int>(fd), SHUT_RDWR) == 0) ++ended;
    }
    return ended;
}

}  // namespace digitnet::serve
