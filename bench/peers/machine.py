"""The machine: its CPU model, its load, and how busy it was (before, after, and during the run
by other processes), so that a reader can tell whether the timings were disturbed."""

import os
import platform
import subprocess
import time


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _cpu_times():
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields), idle


def busy_fraction(seconds=1.0):
    """Share of all CPUs busy over `seconds` (this process sleeps meanwhile), or None."""
    try:
        total0, idle0 = _cpu_times()
        time.sleep(seconds)
        total1, idle1 = _cpu_times()
        return 1.0 - (idle1 - idle0) / max(1, total1 - total0)
    except OSError:
        return None


class OthersMeter:
    """CPU time that other processes took while we ran: the machine's busy time over the interval
    less our own (this process and its children), as a share of all CPUs. On a shared machine
    this says whether the timings were disturbed."""

    def __init__(self):
        self.start = self._sample()

    @staticmethod
    def _sample():
        try:
            total, idle = _cpu_times()
        except OSError:
            return None
        t = os.times()
        return total - idle, t.user + t.system + t.children_user + t.children_system, time.monotonic()

    def share(self):
        end = self._sample()
        if self.start is None or end is None:
            return None
        busy = (end[0] - self.start[0]) / os.sysconf("SC_CLK_TCK")
        ours = end[1] - self.start[1]
        wall = end[2] - self.start[2]
        return max(0.0, busy - ours) / max(1e-9, wall * (os.cpu_count() or 1))


def load_average():
    try:
        return os.getloadavg()[0]
    except OSError:
        return None
