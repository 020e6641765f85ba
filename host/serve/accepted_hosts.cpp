#include "accepted_hosts.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>

namespace digitnet::serve {

namespace {

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

bool is_loopback(const std::string& host) { return host == "127.0.0.1" || host == "localhost" || host == "::1"; }

// The addresses of this machine's interfaces, as a Host header writes them (v6 without a zone:
// a browser cannot put one in a URL's host).
std::set<std::string> interface_addresses() {
    std::set<std::string> addresses;
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return addresses;
    for (const ifaddrs* entry = list; entry; entry = entry->ifa_next) {
        if (!entry->ifa_addr) continue;
        char text[INET6_ADDRSTRLEN] = {};
        if (entry->ifa_addr->sa_family == AF_INET) {
            const auto* v4 = reinterpret_cast<const sockaddr_in*>(entry->ifa_addr);
            if (inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text)) addresses.insert(text);
        } else if (entry->ifa_addr->sa_family == AF_INET6) {
            const auto* v6 = reinterpret_cast<const sockaddr_in6*>(entry->ifa_addr);
            if (inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text)) addresses.insert(text);
        }
    }
    freeifaddrs(list);
    return addresses;
}

std::string machine_name() {
    char name[HOST_NAME_MAX + 1] = {};
    if (gethostname(name, sizeof name - 1) != 0) return "";
    return name;
}

}  // namespace

AcceptedHosts::AcceptedHosts(const std::string& bound_host, int port) : port_(port) {
    const bool every_address = bound_host == "0.0.0.0" || bound_host == "::";
    // 0.0.0.0 and :: are no address a browser can be sent to: the machine's own ones stand for them.
    if (!every_address) add(bound_host);
    if (is_loopback(bound_host) || every_address)
        for (const char* local : {"127.0.0.1", "localhost", "::1"}) add(local);
    if (every_address) {
        if (const std::string name = machine_name(); !name.empty()) add(name);
        for (const std::string& address : interface_addresses()) add(address);
    }
    example_ = every_address ? std::string("localhost").append(port_suffix()) : *hosts_.begin();
}

std::string AcceptedHosts::port_suffix() const { return std::string(":").append(std::to_string(port_)); }

void AcceptedHosts::add(const std::string& name_or_address) {
    const bool v6 = name_or_address.find(':') != std::string::npos;
    const std::string host = lower(v6 ? std::string("[").append(name_or_address).append("]") : name_or_address);
    hosts_.insert(host + port_suffix());
    if (port_ == 80) hosts_.insert(host);  // a browser leaves out the scheme's own port
}

bool AcceptedHosts::accepts_host(const std::string& host_header) const { return hosts_.count(lower(host_header)) > 0; }

bool AcceptedHosts::accepts_origin(const std::string& origin_header, const std::string& host_header) const {
    if (origin_header.empty()) return true;
    return accepts_host(host_header) && lower(origin_header) == std::string("http://").append(lower(host_header));
}

}  // namespace digitnet::serve
