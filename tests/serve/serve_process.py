"""A `digitnet serve` on a free loopback port for the tests: started, its address read from the
line it prints, stopped with SIGTERM (as Ctrl-C would) and waited for."""
import json
import re
import signal
import subprocess
import time
import urllib.request


class ServeProcess:
    def __init__(self, binary, *arguments):
        self.process = subprocess.Popen([binary, "serve", "--port", "0", "--device", "cpu", *arguments],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        match = re.search(r"http://(\[[0-9a-fA-F:.]+\]|[\d.]+):(\d+)/", line)
        if not match:
            self.process.kill()
            raise RuntimeError("digitnet serve printed no address: %r %r" % (line, self.process.stderr.read()))
        self.bound, self.port = match.group(1), int(match.group(2))
        # Where to connect: the bound address, or loopback when it is every address.
        self.host = {"0.0.0.0": "127.0.0.1", "[::]": "::1"}.get(self.bound, self.bound.strip("[]"))
        self.address = "http://%s:%d" % ("[%s]" % self.host if ":" in self.host else self.host, self.port)

    def get_json(self, path):
        with urllib.request.urlopen(self.address + path, timeout=60) as response:
            return json.load(response)

    def wait_for_training(self, timeout=300):
        """Waits until no training run is in progress; returns the last status."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            status = self.get_json("/api/train/status?since=1000000")
            if status["state"] != "running":
                return status
            time.sleep(0.2)
        raise TimeoutError("training still running after %d s" % timeout)

    def stop(self, signal_number=signal.SIGTERM):
        self.process.send_signal(signal_number)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        return self.process.returncode
