#pragma once
// Which Host and Origin headers the server answers. A page elsewhere can make a browser send
// requests here (a form, or a name of its own that it re-points at this machine: DNS rebinding);
// the browser then names that page's origin and that name in the headers. So the server answers
// only requests whose Host is one of its own names or addresses with its port, and whose Origin,
// when there is one, is the page it serves itself: http://<that Host>.
#include <set>
#include <string>

namespace digitnet::serve {

class AcceptedHosts {
public:
    // bound_host: the address the server listens on. Loopback addresses and names accept one
    // another; 0.0.0.0 and :: (every address) accept the machine's own names and addresses
    // (localhost, the loopback addresses, the host name, each interface's address); any other
    // address accepts itself only.
    AcceptedHosts(const std::string& bound_host, int port);

    // host_header: the request's Host. Compared without regard to case.
    bool accepts_host(const std::string& host_header) const;
    // An Origin header (empty: none sent, as by a program that is not a browser) is accepted
    // when it is the origin of the page at the request's (already accepted) Host.
    bool accepts_origin(const std::string& origin_header, const std::string& host_header) const;
    // One accepted Host value, for the refusal's message.
    const std::string& example() const { return example_; }
    const std::set<std::string>& all() const { return hosts_; }

private:
    void add(const std::string& name_or_address);
    std::string port_suffix() const;

    int port_;
    std::set<std::string> hosts_;  // lower case, "name:port" and "[v6]:port"
    std::string example_;
};

}  // namespace digitnet::serve
