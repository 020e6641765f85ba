#!/usr/bin/env python3
"""`digitnet serve` against hostile clients, over real HTTP: bound to every address (0.0.0.0, ::)
it still answers only Host headers that name this machine and Origins that are its own page, and
a foreign one never starts a run; stalled sockets (sending nothing, half a header, half a body)
neither stop it answering others nor keep Ctrl-C from stopping it at once.
Usage: test_hostile_clients.py path/to/digitnet"""
import http.client
import json
import signal
import socket
import subprocess
import sys
import time
import unittest

from serve_process import ServeProcess

BINARY = None


def request(host, port, method, path, headers, body=None, timeout=30):
    """One request on a fresh connection; `headers` are sent exactly (Host included)."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    for name, value in headers.items():
        connection.putheader(name, value)
    if body is None and method == "POST":
        body = b""  # as a browser sends it: Content-Length 0
    if body is not None:
        connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, json.loads(data) if data else None


def local_addresses():
    """This machine's own addresses (a socket can bind them): those of its interfaces as `ip`
    lists them, and those its host name resolves to."""
    candidates = set()
    try:
        listing = subprocess.run(["ip", "-o", "addr", "show"], capture_output=True, text=True, timeout=10).stdout
        for line in listing.splitlines():
            fields = line.split()
            if len(fields) > 3 and fields[2] in ("inet", "inet6"):
                candidates.add(fields[3].split("/")[0])
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        candidates |= {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None)}
    except OSError:
        pass
    found = set()
    for address in candidates:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        try:
            with socket.socket(family, socket.SOCK_STREAM) as probe:
                probe.bind((address, 0))
            found.add(address)
        except OSError:
            pass
    return found


def ipv6_loopback_works():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


class EveryAddress:
    """The checks, for a server bound to BIND (a mixin: one subclass per address)."""
    BIND = None

    @classmethod
    def setUpClass(cls):
        cls.server = ServeProcess(BINARY, "--host", cls.BIND)
        cls.stop_the_first_run(cls.server)

    @staticmethod
    def stop_the_first_run(server):
        """The seed's run, started for the page: these tests need no model and no busy CPU."""
        own = "127.0.0.1:%d" % server.port
        request(server.host, server.port, "POST", "/api/train/stop", {"Host": own})
        server.wait_for_training()

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        if code != 0:
            raise AssertionError("digitnet serve exited %d after SIGTERM, not 0" % code)

    def get(self, host_header, path="/api/info", extra=None):
        headers = {"Host": host_header} if host_header is not None else {}
        headers.update(extra or {})
        return request(self.server.host, self.server.port, "GET", path, headers)

    def post_train(self, host_header, origin):
        headers = {"Host": host_header, "Content-Type": "application/json"}
        if origin is not None:
            headers["Origin"] = origin
        return request(self.server.host, self.server.port, "POST", "/api/train", headers,
                       b'{"hidden": 7, "iterations": 100000}')

    def test_the_machines_own_names_are_answered(self):
        port = self.server.port
        names = {"127.0.0.1", "localhost", "LocalHost", "[::1]", socket.gethostname()}
        names |= {"[%s]" % a if ":" in a else a for a in local_addresses()}
        for name in sorted(names):
            status, body = self.get("%s:%d" % (name, port))
            self.assertEqual(status, 200, (name, body))
        # Reached at each of its addresses, as another machine would, naming that address.
        for address in sorted(local_addresses()):
            if ":" in address and self.BIND != "::":
                continue
            host = "[%s]" % address if ":" in address else address
            status, body = request(address, port, "GET", "/api/info", {"Host": "%s:%d" % (host, port)})
            self.assertEqual(status, 200, (address, body))

    def test_foreign_or_wrong_hosts_are_refused(self):
        port = self.server.port
        for host in ("evil.example:%d" % port, "127.0.0.1:%d" % (port + 1), "127.0.0.1", "0.0.0.0:%d" % port,
                     "[::]:%d" % port, "localhost.evil.example:%d" % port, "127.0.0.1:%d.evil" % port, ""):
            status, body = self.get(host)
            self.assertEqual(status, 403, host)
            self.assertIn("Host", body["error"])
        status, _ = self.get(None)  # no Host at all
        self.assertEqual(status, 403)

    def test_foreign_origins_are_refused_even_for_reads(self):
        own = "127.0.0.1:%d" % self.server.port
        status, _ = self.get(own, extra={"Origin": "http://" + own})
        self.assertEqual(status, 200)
        for origin in ("http://evil.example", "http://localhost:%d" % self.server.port, "null", "https://" + own):
            status, body = self.get(own, extra={"Origin": origin})
            self.assertEqual(status, 403, origin)
            self.assertIn("cross-origin", body["error"])

    def test_a_foreign_origin_or_host_never_starts_a_run(self):
        port = self.server.port
        before = self.server.get_json("/api/train/status")
        self.assertNotEqual(before["state"], "running")
        own = "127.0.0.1:%d" % port
        for host, origin in ((own, "http://evil.example"), (own, "http://evil.example:%d" % port),
                             ("evil.example:%d" % port, "http://evil.example:%d" % port),
                             ("evil.example:%d" % port, None), (own, "null")):
            status, body = self.post_train(host, origin)
            self.assertEqual(status, 403, (host, origin, body))
        after = self.server.get_json("/api/train/status")
        self.assertEqual((after["run"], after["state"]), (before["run"], before["state"]))
        # The page itself may: the same request from its own origin starts a run (then stopped).
        status, body = self.post_train(own, "http://" + own)
        self.assertEqual(status, 202, body)
        status, _ = request(self.server.host, port, "POST", "/api/train/stop", {"Host": own, "Origin": "http://" + own})
        self.assertEqual(status, 200)
        self.assertEqual(self.server.wait_for_training(120)["state"], "stopped")


class EveryIPv4Address(EveryAddress, unittest.TestCase):
    BIND = "0.0.0.0"


@unittest.skipUnless(ipv6_loopback_works(), "no IPv6 loopback here")
class EveryIPv6Address(EveryAddress, unittest.TestCase):
    BIND = "::"


class StalledClients(unittest.TestCase):
    """Sockets that hold a connection and send nothing more than a start."""

    def open_stalled(self, port, count):
        sockets = []
        partial = (b"", b"GET /api/info HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % port,
                   b"POST /api/train HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
                   b"Content-Length: 1000\r\n\r\n{\"hidden\"" % port)
        for i in range(count):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(partial[i % len(partial)])
            sockets.append(s)
        return sockets

    def answered_within(self, port, seconds):
        begin = time.monotonic()
        status, body = request("127.0.0.1", port, "GET", "/api/info", {"Host": "127.0.0.1:%d" % port},
                               timeout=seconds)
        self.assertEqual(status, 200, body)
        return time.monotonic() - begin

    def test_stalled_sockets_do_not_stop_others_being_answered_and_ctrl_c_is_prompt(self):
        server = ServeProcess(BINARY)
        try:
            EveryAddress.stop_the_first_run(server)
            stalled = self.open_stalled(server.port, 30)
            time.sleep(0.3)  # each is accepted and waiting
            for _ in range(5):
                self.assertLess(self.answered_within(server.port, 10), 2.0)
            # Later still (past the keep-alive timeout, with the stalled ones reopened).
            time.sleep(2.5)
            stalled += self.open_stalled(server.port, 30)
            time.sleep(0.3)
            self.assertLess(self.answered_within(server.port, 10), 2.0)
            begin = time.monotonic()
            server.process.send_signal(signal.SIGINT)
            code = server.process.wait(timeout=30)
            took = time.monotonic() - begin
            self.assertEqual(code, 0, server.process.stderr.read())
            self.assertLess(took, 2.0, "Ctrl-C took %.1f s with stalled connections open" % took)
            for s in stalled:
                s.close()
        finally:
            if server.process.poll() is None:
                server.process.kill()
                server.process.wait()

    def test_ctrl_c_during_a_run_with_stalled_sockets_is_prompt(self):
        server = ServeProcess(BINARY)
        try:
            port = server.port
            status, _ = request("127.0.0.1", port, "GET", "/api/train/status", {"Host": "127.0.0.1:%d" % port})
            self.assertEqual(status, 200)
            stalled = self.open_stalled(port, 20)
            time.sleep(0.3)
            begin = time.monotonic()
            server.process.send_signal(signal.SIGINT)
            code = server.process.wait(timeout=30)
            took = time.monotonic() - begin
            self.assertEqual(code, 0)
            self.assertLess(took, 2.0, "Ctrl-C took %.1f s" % took)
            for s in stalled:
                s.close()
        finally:
            if server.process.poll() is None:
                server.process.kill()
                server.process.wait()


if __name__ == "__main__":
    BINARY = sys.argv.pop(1)
    unittest.main(verbosity=2)
