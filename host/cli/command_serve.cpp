// `digitnet serve`: the web page, until Ctrl-C.
#include <cstdio>

#include "commands.hpp"
#include "digitnet/serve/server.hpp"
#include "interrupt.hpp"

namespace digitnet::cli {

int run_serve(const ServeCommandOptions& o) {
    serve::ServeOptions options;
    options.host = o.host;
    options.port = o.port;
    options.model = o.model;
    options.data = data_path_or_default(o.data);
    options.device = o.compute.device;
    options.precision = o.compute.precision;
    const std::atomic<bool>& stop = install_interrupt_handler();
    serve::run_server(options, stop, [&](const std::string& address) {
        std::printf("digitnet serve: open %s in a browser (Ctrl-C stops)\n", address.c_str());
        if (o.host != "127.0.0.1" && o.host != "localhost" && o.host != "::1")
            std::fprintf(stderr, "digitnet: warning: listening on %s: other machines can reach this page\n",
                         o.host.c_str());
        if (o.model.empty())
            std::printf("  no --model: training the seed's network (400-25-10, gd, 800 iterations) for the page\n");
        std::fflush(stdout);
    });
    std::printf("digitnet serve: stopped\n");
    return 0;
}

}  // namespace digitnet::cli
