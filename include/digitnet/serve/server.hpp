#pragma once
// `digitnet serve`: a small local web server (cpp-httplib) with a page to draw digits and see what
// the network makes of them, look inside it, and train a new one while watching it learn.
#include <atomic>
#include <functional>
#include <string>

#include "digitnet/model/backend.hpp"

namespace digitnet::serve {

struct ServeOptions {
    std::string host = "127.0.0.1";  // the address to bind; also the only Host header accepted
    int port = 8080;                 // 0: any free port (the address printed says which)
    std::string model;               // a model file; empty: train the seed's network at start
    std::string data;                // the data set (train and, when it has one, test examples)
    Device device = Device::Auto;
    Precision precision = Precision::Float;
};

// Loads the data (and model), binds, calls on_listening with the page's address, and serves until
// `stop` becomes true. A training run in progress is stopped and waited for before returning.
// Throws InputError for bad files or an address that cannot be bound.
void run_server(const ServeOptions& options, const std::atomic<bool>& stop,
                const std::function<void(const std::string& address)>& on_listening);

}  // namespace digitnet::serve
