"""Picking the interpreter: numpy is needed, torch is wanted (scipy is used when there).

Standard library only: this runs before numpy is imported, and re-executes the launcher
(scripts/bench_peers) under another python3 when this one lacks numpy or torch.
"""

import os
import shutil
import subprocess
import sys

from .recipe import REPO

LAUNCHER = os.path.join(REPO, "scripts", "bench_peers")


def _has(python, modules):
    code = "import " + ", ".join(modules)
    try:
        return subprocess.run([python, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=120).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def pick_interpreter(script=LAUNCHER):
    """Re-executes `script` (with this process's arguments) under another python3 when this one
    lacks numpy or torch and another has them; exits with a hint when no python3 has numpy."""
    if os.environ.get("DIGITNET_PEERS_REEXEC"):
        return
    have_base = _has(sys.executable, ["numpy"])
    have_torch = have_base and _has(sys.executable, ["torch"])
    if have_torch:
        return
    candidates = []
    for name in ("python3", "python"):
        found = shutil.which(name)
        if found:
            candidates.append(found)
    candidates += ["/usr/bin/python3", "/usr/local/bin/python3", "/opt/conda/bin/python3", "/opt/venv/bin/python3"]
    seen = {os.path.realpath(sys.executable)}
    fallback = None
    for python in candidates:
        real = os.path.realpath(python)
        if real in seen or not os.path.exists(python):
            continue
        seen.add(real)
        if _has(python, ["numpy", "torch"]):
            fallback = python
            break
        if not have_base and fallback is None and _has(python, ["numpy"]):
            fallback = python
    if fallback:
        os.environ["DIGITNET_PEERS_REEXEC"] = "1"
        os.execv(fallback, [fallback, os.path.abspath(script)] + sys.argv[1:])
    if not have_base:
        sys.exit("bench_peers: needs numpy; HINT: apt-get install python3-numpy "
                 "and run it with /usr/bin/python3")
