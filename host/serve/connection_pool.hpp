#pragma once
// The workers that answer the server's connections. cpp-httplib's own pool has a worker per core
// (8 here), and each connection holds one while it waits for a request: a few idle or stalled
// sockets filled it and nobody else was answered. This pool has many more workers, and when the
// server stops it ends every connection still open, so that stopping does not wait out each
// stalled client's read timeout (cpp-httplib 0.11 has no way to do that itself).
#include <httplib.h>

#include <cstddef>

namespace digitnet::serve {

class ConnectionPool : public httplib::TaskQueue {
public:
    // port: the port the server listens on; its connections are the ones ended at shutdown.
    ConnectionPool(std::size_t workers, int port);
    void enqueue(std::function<void()> task) override;
    // Called by cpp-httplib once the listening socket is closed: ends the open connections, then
    // waits for the workers (each then finishes at once: its socket reads end of file).
    void shutdown() override;

private:
    httplib::ThreadPool pool_;
    int port_;
};

// Shuts down (both ways, without closing: the worker that owns the socket closes it) every
// connected socket of this process whose local port is `port`, and says how many.
int end_connections_on_port(int port);

}  // namespace digitnet::serve
