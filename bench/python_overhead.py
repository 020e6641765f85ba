#!/usr/bin/python3
"""What the Python module costs on top of the core (a benchmark, not a test). Prints a table:

1. The seed recipe (800 iterations of gd, alpha 0.8, lambda 1, 400-25-10, float, the embedded
   digits) trained by `digitnet train` and by digitnet.train, alternating, time per iteration:
   the CLI's own timer (training loop only) and its whole process; digitnet.train's training loop
   (model.seconds, the same timer) and its whole call (converting X, building the backend,
   training, the final cost, the result arrays).
2. cost_and_gradient on a 100-example batch: time per call from Python, against the same
   evaluation inside the core (one iteration of a gd run on the same 100 examples, which is the
   cost, the gradient and the update, with no Python in between). The difference is the
   per-call cost of a one-off call: argument checks, numpy conversions, building a backend,
   attaching the data. build/bench/digitnet_bench --benchmark_filter=call100 times the core's part
   of that (a backend made and the batch attached per call) without Python.

    PYTHONPATH=build/python bench/python_overhead.py [--cli build/digitnet] [--repeats 5] [--device cpu]
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import time
from pathlib import Path

import digitnet as dn

REPOSITORY = Path(__file__).resolve().parents[1]


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def per_call(function, calls):
    """(wall, CPU) seconds per call. CPU time (this process, all threads) is the steadier measure
    on a shared machine: with OMP_NUM_THREADS=1 it is the time the work itself took."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        function()
    return (time.perf_counter() - wall) / calls, (time.process_time() - cpu) / calls


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cli", default=str(REPOSITORY / "build" / "digitnet"))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=800)
    parser.add_argument("--device", default="cpu", choices=["auto", "cpu", "gpu"])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--parts", default="train,calls", help="which parts to run: train, calls or both")
    args = parser.parse_args()

    commit = subprocess.run(["git", "-C", str(REPOSITORY), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    print(f"# {time.strftime('%Y-%m-%d %H:%M %Z')}, commit {commit}, {cpu_name()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, digitnet {dn.__version__}, device {args.device}")

    data = dn.load_data()
    X, y = data.X, data.y
    if "train" in args.parts:
        train_part(args, X, y)
    if "calls" in args.parts:
        calls_part(args, X, y)


def train_part(args, X, y):
    cli_loop, cli_process, python_loop, python_call = [], [], [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        out = json.loads(subprocess.run([args.cli, "train", "--iters", str(args.iterations), "--device", args.device,
                                         "--json", "--quiet"], capture_output=True, text=True, check=True).stdout)
        cli_process.append((time.perf_counter() - start) / args.iterations)
        cli_loop.append(out["seconds"] / args.iterations)
        start = time.perf_counter()
        model = dn.train(X, y, iterations=args.iterations, device=args.device)
        python_call.append((time.perf_counter() - start) / args.iterations)
        python_loop.append(model.seconds / args.iterations)
        assert model.final_cost == out["final_cost"], (model.final_cost, out["final_cost"])

    def row(name, samples):
        ms = [1e3 * s for s in samples]
        print(f"| {name} | {statistics.median(ms):.3f} | {min(ms):.3f} | {max(ms):.3f} | "
              f"{' '.join(f'{m:.3f}' for m in ms)} |")

    print(f"\n## seed recipe, {args.iterations} iterations, {args.repeats} alternating runs: ms per iteration\n")
    print("| what | median | min | max | all runs |\n| --- | --- | --- | --- | --- |")
    row("digitnet train: its own timer (loop only)", cli_loop)
    row("digitnet train: whole process (load, backend, loop, report)", cli_process)
    row("digitnet.train: its training loop (model.seconds)", python_loop)
    row("digitnet.train: whole call (convert, backend, loop, final cost)", python_call)
    print(f"\nmedians: digitnet.train loop / CLI loop {statistics.median(python_loop) / statistics.median(cli_loop):.3f}; "
          f"digitnet.train whole call / CLI whole process {statistics.median(python_call) / statistics.median(cli_process):.3f}")



def calls_part(args, X, y):
    X100, y100 = X[::50], y[::50]
    thetas = dn.random_initialization([400, 25, 10], seed=1)
    call = lambda: dn.cost_and_gradient(thetas, X100, y100, 1.0, device=args.device)  # noqa: E731
    call()
    python_per_call = [per_call(call, args.calls) for _ in range(args.repeats)]
    inside = [per_call(lambda: dn.train(X100, y100, iterations=args.calls, device=args.device), 1)
              for _ in range(args.repeats)]
    inside = [(wall / args.calls, cpu / args.calls) for wall, cpu in inside]
    print(f"\n## cost_and_gradient on {X100.shape[0]} examples: microseconds per call, {args.repeats} runs of {args.calls}\n")
    print("| what | wall median | wall min | CPU median | CPU min |\n| --- | --- | --- | --- | --- |")
    for name, samples in (("digitnet.cost_and_gradient from Python", python_per_call),
                          ("inside the core: one gd iteration on the same batch", inside)):
        wall = [1e6 * w for w, _ in samples]
        cpu = [1e6 * c for _, c in samples]
        print(f"| {name} | {statistics.median(wall):.1f} | {min(wall):.1f} | {statistics.median(cpu):.1f} | {min(cpu):.1f} |")
    for i, what in ((0, "wall"), (1, "CPU")):
        difference = statistics.median(s[i] for s in python_per_call) - statistics.median(s[i] for s in inside)
        print(f"per-call overhead over the in-core iteration ({what}, medians): {1e6 * difference:.1f} us")


if __name__ == "__main__":
    main()
