"""(d) digitnet: `digitnet info --json`, and `digitnet train --init` on the seed's recipe, timed by
its own "seconds" (the training loop only, without loading), the median of several runs."""

import json
import statistics
import subprocess
import sys

from .recipe import ITERS
from .report import row


def digitnet_info(binary):
    out = subprocess.run([binary, "info", "--json"], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"bench_peers: {binary} info --json failed: {out.stderr.strip()}")
    return json.loads(out.stdout)


def digitnet_peer(binary, device, precision, init_path, data_path, iters, repeats, info):
    runs = []
    for _ in range(repeats):
        cmd = [binary, "train", "--device", device, "--precision", precision, "--init", init_path,
               "--data", data_path, "--iters", str(iters), "--json", "--quiet"]
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"bench_peers: {' '.join(cmd)} failed ({out.returncode}): {out.stderr.strip()}")
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    seconds = statistics.median(r["seconds"] for r in runs)
    last = runs[-1]
    per_iter = seconds / last["iterations"]
    measured = last["iterations"] == ITERS
    final = measured
    label = f"digitnet {device} {precision}"
    return row(label, device, per_iter, seconds if measured else per_iter * ITERS, measured,
               last["final_cost"] if final else None, last["train_accuracy"] if final else None,
               last.get("test_accuracy") if final else None, device_name=last["device_name"],
               extra={"runs_seconds": [r["seconds"] for r in runs], "iterations": last["iterations"]})
