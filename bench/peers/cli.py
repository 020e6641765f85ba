"""The command line of scripts/bench_peers and the order of a run: machine, data, initial weights,
peers (a) to (d), ratios, the CPU's GEMM rate, the table, the large configurations, the JSON."""

import argparse
import datetime
import os
import shutil
import socket
import sys
import tempfile

import numpy as np

from . import __doc__ as DESCRIPTION
from . import large, minibatch
from .arithmetic import cpu_gemm_rate, iteration_flops, minimum_bytes
from .digitnet_peer import digitnet_info, digitnet_peer
from .machine import OthersMeter, busy_fraction, cpu_model, load_average
from .matfile import load_mat, save_mat, scipy
from .recipe import ALPHA, HIDDEN, INPUT, ITERS, LABELS, LAMBDA, REPO
from .report import add_ratios, print_summary, print_table, write_json
from .seed_numpy import initial_weights, numpy_vectorised_peer, seed_code_peer, seed_vs_vectorised_agreement
from .torch_peers import gpu_floor, torch, torch_cpu_peer, torch_cuda_peers


def parse_args():
    parser = argparse.ArgumentParser(prog="bench_peers", description=DESCRIPTION.split("\n\n")[0])
    parser.add_argument("--digitnet", default=os.path.join(REPO, "build", "digitnet"), help="the digitnet binary")
    parser.add_argument("--data", default=os.path.join(REPO, "data", "digits20.mat"))
    parser.add_argument("--quick", action="store_true",
                        help="no full 800-iteration runs of the peers; digitnet runs 100 iterations")
    parser.add_argument("--json-out", help="where to write the JSON results")
    parser.add_argument("--seed-loop-iters", type=int, default=3, help="iterations of the seed's own loop to time")
    parser.add_argument("--samples", type=int, default=21, help="timed single iterations (or chunks) per median")
    parser.add_argument("--repeats", type=int, default=3, help="digitnet runs per configuration (median)")
    parser.add_argument("--init-seed", type=int, default=1, help="seed of the initial weights")
    parser.add_argument("--no-cpu-torch", action="store_true", help="skip PyTorch on the CPU")
    parser.add_argument("--large", action="store_true",
                        help="also the large configurations (GPU; Fashion-MNIST 784-1024-10, 784-4096-4096-10; "
                             "fp32, tf32, bf16)")
    parser.add_argument("--large-only", action="store_true", help="only the large configurations")
    parser.add_argument("--compile", action="store_true", help="large configurations: also torch.compile")
    parser.add_argument("--minibatch", action="store_true",
                        help="only the mini-batch race (CPU; Fashion-MNIST, one epoch of Adam: digitnet, scikit-learn, "
                             "PyTorch and the GEMMs alone; minibatch.py)")
    return parser.parse_args()


def main():
    args = parse_args()
    if not os.access(args.digitnet, os.X_OK):
        sys.exit(f"bench_peers: {args.digitnet} is not an executable; HINT: build it (cmake --build build) or "
                 f"pass --digitnet PATH")
    host = socket.gethostname()
    today = datetime.date.today().isoformat()
    json_out = args.json_out or os.path.join(os.environ.get("OUT") or os.path.join(REPO, "bench"),
                                             f"peers-{host}-{today}.json")

    busy_before, load_before = busy_fraction(), load_average()
    others = OthersMeter()
    info = digitnet_info(args.digitnet)
    gpu = info.get("gpu")
    machine = {"host": host, "date": today, "cpu": cpu_model(), "cpus": os.cpu_count(),
               "python": sys.version.split()[0], "numpy": np.__version__,
               "scipy": scipy.__version__ if scipy else None,
               "torch": torch.__version__ if torch else None, "digitnet": args.digitnet, "digitnet_info": info,
               "busy_before": busy_before, "load_average_before": load_before}
    print(f"bench_peers on {host}, {today}: {machine['cpu']}, {os.cpu_count()} CPUs; numpy {np.__version__}, "
          f"scipy {scipy.__version__ if scipy else 'none (own .mat reader)'}, Python {machine['python']}")
    print(f"digitnet: {args.digitnet} (BLAS {info.get('blas')}; GPU: {gpu['name'] if gpu else 'none'})")
    if busy_before is not None and busy_before > 0.15:
        print(f"WARNING: the machine was {100 * busy_before:.0f}% busy before the run (load average "
              f"{load_before:.2f}): timings will be slow and noisy")

    if args.minibatch:
        others = OthersMeter()
        rows = minibatch.run(args.digitnet, repeats=max(1, args.repeats))
        machine.update({"load_average_after": load_average(), "other_processes_cpu_share_during_run": others.share()})
        print(f"load average before {load_before:.2f}, after {machine['load_average_after']:.2f}; other processes "
              f"took {100 * (machine['other_processes_cpu_share_during_run'] or 0):.0f}% of the CPUs during the run")
        write_json(json_out, {"machine": machine, "minibatch": rows})
        return

    if args.large_only:
        large_rows = large.run(args.digitnet, gpu is not None, args.compile)
        write_json(json_out, {"machine": machine, "large": large_rows})
        return

    mat = load_mat(args.data)
    X, y, Xt, yt = mat["X"].astype(np.float64), mat["y"], mat["Xtest"].astype(np.float64), mat["ytest"]
    m = X.shape[0]
    data = (X, y, Xt, yt)

    # The seed's random initialisation, once, from a seeded generator; saved for digitnet.
    init = initial_weights(args.init_seed)
    tmp = tempfile.mkdtemp(prefix="bench_peers-")
    init_path = os.path.join(tmp, "init.mat")
    save_mat(init_path, {"Theta1": init[0], "Theta2": init[1]})

    sizes = [INPUT, HIDDEN, LABELS]
    floor = {"gemm_flop_per_iteration": iteration_flops(sizes, m),
             "min_bytes_per_iteration_float": minimum_bytes(sizes, m, 4),
             "min_bytes_per_iteration_double": minimum_bytes(sizes, m, 8),
             "flop_formula": "4 m sum_l s_l (s_(l-1)+1) + 2 m sum_(l>=2) s_l s_(l-1)",
             "bytes_formula": "(m s0 + 2 P) * sizeof(T) + 4 m"}
    rows = []

    # (a) The seed's own code; then the check that it and the vectorised math agree.
    rows.append(seed_code_peer(X, y, init, args.seed_loop_iters))
    agreement = seed_vs_vectorised_agreement(X, y, init)

    # (b) Vectorised numpy, float64.
    rows.append(numpy_vectorised_peer(data, init, args.samples, args.quick))

    # (c) PyTorch.
    torch_note = None
    if torch is None:
        torch_note = "PyTorch not installed: skipped"
        print(torch_note)
    else:
        if not args.no_cpu_torch:
            rows.append(torch_cpu_peer(data, init, args))
        if torch.cuda.is_available():
            rows.extend(torch_cuda_peers(data, init, args))
            floor.update(gpu_floor())
        else:
            torch_note = "PyTorch has no CUDA device: CUDA peers skipped"
            print(torch_note)

    # (d) digitnet.
    digitnet_iters = 100 if args.quick else ITERS
    for device in ("cpu", "gpu") if gpu else ("cpu",):
        for precision in ("float", "double"):
            rows.append(digitnet_peer(args.digitnet, device, precision, init_path, args.data, digitnet_iters,
                                      args.repeats, info))

    add_ratios(rows)
    floor["cpu_sgemm_flops_per_s"] = cpu_gemm_rate(np.float32)
    floor["cpu_dgemm_flops_per_s"] = cpu_gemm_rate(np.float64)
    floor["cpu_gemm_note"] = "numpy (its BLAS) 2048x2048 @ 2048x2048, median of 5"

    others_share = others.share()
    busy_after, load_after = busy_fraction(), load_average()
    machine.update({"busy_after": busy_after, "load_average_after": load_after,
                    "other_processes_cpu_share_during_run": others_share})

    print()
    print_table(rows)
    print()
    print_summary(rows, floor, m, agreement, busy_before, busy_after, others_share)

    large_rows = large.run(args.digitnet, gpu is not None, args.compile) if args.large else None

    result = {"machine": machine, "floor": floor, "rows": rows, "seed_vs_vectorised_agreement": agreement,
              "large": large_rows,
              "torch_note": torch_note, "quick": args.quick, "iterations": ITERS, "alpha": ALPHA, "lambda": LAMBDA}
    write_json(json_out, result)
    shutil.rmtree(tmp, ignore_errors=True)
