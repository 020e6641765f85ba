"""The large configurations of bench_peers (--large, --large-only): issue 16's targets.

Fashion-MNIST's 60000 training examples (/usr/share/datasets/fashion-mnist, pixels / 255) on
784-1024-10 and 784-4096-4096-10, the seed's network otherwise (sigmoid hidden and output layers,
per-class cross-entropy, lambda 1) and one full-batch gradient-descent iteration (alpha 0.8) per
timed step, in three precisions:

  fp32   PyTorch: torch.set_float32_matmul_precision("highest");  digitnet --precision float
  tf32   PyTorch: torch.set_float32_matmul_precision("high");     digitnet --precision tf32
  bf16   PyTorch: torch.autocast("cuda", torch.bfloat16) around the step (cache_enabled=False, as
         CUDA graphs need), FP32 weights;                        digitnet --precision bf16

PyTorch runs the same math written out (as torch_peers.py's seed peer), eager, captured in one CUDA
graph and replayed, and under torch.compile when --compile is given and it compiles. Times are
CUDA-event medians per iteration. digitnet runs `digitnet train --device gpu` on the same data
(its own "seconds": the training loop, CUDA graphs replayed; first iteration included, so the
runs are long enough to make that small). Beside them, the rate of cuBLAS alone (torch.mm) on the
two largest GEMM shapes of each configuration in each precision: the ceiling the targets refer to
(the big GEMMs at 75% or more of it).
"""

import gzip
import json
import os
import subprocess

import numpy as np

from .arithmetic import iteration_flops
from .torch_peers import cuda_time, torch

FASHION = "/usr/share/datasets/fashion-mnist"
ALPHA, LAMBDA = 0.8, 1.0
# name, layer sizes, digitnet iterations per run, PyTorch steps per timed sample
CONFIGS = [("784-1024-10", [784, 1024, 10], 100, 20), ("784-4096-4096-10", [784, 4096, 4096, 10], 12, 4)]
MODES = ("fp32", "tf32", "bf16")
DIGITNET_PRECISION = {"fp32": "float", "tf32": "tf32", "bf16": "bf16"}


def load_fashion(folder=FASHION):
    def idx(name):
        with gzip.open(os.path.join(folder, name), "rb") as f:
            data = f.read()
        dims = data[3]
        shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
        return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)

    X = idx("train-images-idx3-ubyte.gz").reshape(60000, 784).astype(np.float32) / 255.0
    y = idx("train-labels-idx1-ubyte.gz").astype(np.int64)
    return X, y


class TorchNetwork:
    """The seed's math for any number of sigmoid layers, written out, stepped in place."""

    def __init__(self, X, y, sizes, seed=1):
        m = X.shape[0]
        self.m = m
        self.X1 = torch.cat((torch.ones((m, 1)), torch.tensor(X)), dim=1).cuda()
        self.Y = torch.nn.functional.one_hot(torch.tensor(y), sizes[-1]).float().cuda()
        generator = torch.Generator().manual_seed(seed)
        self.thetas = []
        for l in range(1, len(sizes)):
            e = (6.0 / (sizes[l - 1] + sizes[l])) ** 0.5
            theta = (torch.rand((sizes[l], sizes[l - 1] + 1), generator=generator) * 2 - 1) * e
            self.thetas.append(theta.cuda())
        self.initial = [t.clone() for t in self.thetas]
        self.cost = torch.zeros((), device="cuda")

    def reset(self):
        for t, t0 in zip(self.thetas, self.initial):
            t.copy_(t0)

    def step(self):
        m = self.m
        activations = [self.X1]
        a = self.X1
        for theta in self.thetas[:-1]:
            a = torch.sigmoid(a @ theta.T)
            a = torch.cat((torch.ones((m, 1), device="cuda", dtype=a.dtype), a), dim=1)
            activations.append(a)
        h = torch.sigmoid(activations[-1] @ self.thetas[-1].T).float()
        J = -(self.Y * torch.log(h) + (1 - self.Y) * torch.log1p(-h)).sum() / m
        J = J + LAMBDA / (2 * m) * sum((t[:, 1:] ** 2).sum() for t in self.thetas)
        delta = h - self.Y
        gradients = []
        for l in range(len(self.thetas) - 1, -1, -1):
            gradients.append((delta.T @ activations[l]).float() / m)
            if l > 0:
                below = activations[l][:, 1:]
                delta = (delta @ self.thetas[l][:, 1:]) * below * (1 - below)
        for theta, gradient in zip(self.thetas, reversed(gradients)):
            gradient[:, 1:] += LAMBDA / m * theta[:, 1:]
            theta.sub_(ALPHA * gradient)
        self.cost.copy_(J)


def _set_mode(mode):
    torch.set_float32_matmul_precision("highest" if mode == "fp32" else "high")


def _stepper(net, mode):
    if mode != "bf16":
        return net.step

    def step():
        with torch.autocast("cuda", dtype=torch.bfloat16, cache_enabled=False):
            net.step()
    return step


def torch_rows(X, y, name, sizes, inner, samples, compile_too):
    rows = []
    net = TorchNetwork(X, y, sizes)
    flops = iteration_flops(sizes, X.shape[0])
    for mode in MODES:
        _set_mode(mode)
        step = _stepper(net, mode)
        variants = [("eager", step)]
        # One step captured in a CUDA graph (warm-up on a side stream, as capture requires).
        net.reset()
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(2):
                step()
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            step()
        variants.append(("CUDA graph", graph.replay))
        if compile_too:
            try:
                compiled = torch.compile(step)
                compiled()
                variants.append(("torch.compile", compiled))
            except Exception as error:  # compile needs a working toolchain (Triton); say why not
                rows.append({"name": f"PyTorch {mode} torch.compile {name}", "config": name, "mode": mode,
                             "skipped": f"{type(error).__name__}: {str(error).splitlines()[0][:160]}"})
        for variant, fn in variants:
            net.reset()
            for _ in range(2):
                fn()
            torch.cuda.synchronize()
            per_iter = cuda_time(fn, samples, inner)
            rows.append({"name": f"PyTorch {mode} {variant}", "config": name, "mode": mode,
                         "seconds_per_iteration": per_iter, "tflops": flops / per_iter / 1e12,
                         "final_cost": float(net.cost)})
    _set_mode("fp32")
    return rows


def cublas_rows(name, sizes, m, samples=10):
    """torch.mm alone on the configuration's two largest GEMMs (forward and weight gradient of the
    widest layer), each precision: cuBLAS's own rate there."""
    widest = max(range(1, len(sizes)), key=lambda l: sizes[l] * (sizes[l - 1] + 1))
    n_out, n_in = sizes[widest], sizes[widest - 1] + 1
    shapes = {"forward (m x s_in) @ (s_in x s_out)": (m, n_in, n_out),
              "gradient (s_out x m) @ (m x s_in)": (n_out, m, n_in)}
    rows = []
    for mode in MODES:
        _set_mode(mode)
        dtype = torch.bfloat16 if mode == "bf16" else torch.float32
        for label, (M, K, N) in shapes.items():
            a = torch.randn((M, K), device="cuda", dtype=dtype)
            b = torch.randn((K, N), device="cuda", dtype=dtype)
            seconds = cuda_time(lambda: a @ b, samples, 3)
            rows.append({"name": f"cuBLAS (torch.mm) {mode} {label}", "config": name, "mode": mode,
                         "shape": [M, K, N], "seconds": seconds, "tflops": 2.0 * M * K * N / seconds / 1e12})
    _set_mode("fp32")
    return rows


def digitnet_rows(binary, name, sizes, iterations):
    rows = []
    hidden = ",".join(str(s) for s in sizes[1:-1])
    flops = iteration_flops(sizes, 60000)
    for mode in MODES:
        cmd = [binary, "train", "--device", "gpu", "--precision", DIGITNET_PRECISION[mode], "--data", FASHION,
               "--hidden", hidden, "--iters", str(iterations), "--alpha", str(ALPHA), "--lambda", str(LAMBDA),
               "--json", "--quiet"]
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0:
            rows.append({"name": f"digitnet {mode}", "config": name, "mode": mode,
                         "skipped": f"{' '.join(cmd)} failed ({out.returncode}): {out.stderr.strip()[:300]}"})
            continue
        result = json.loads(out.stdout.strip().splitlines()[-1])
        per_iter = result["seconds"] / result["iterations"]
        rows.append({"name": f"digitnet {mode}", "config": name, "mode": mode, "seconds_per_iteration": per_iter,
                     "tflops": flops / per_iter / 1e12, "final_cost": result["final_cost"],
                     "device_name": result["device_name"], "iterations": result["iterations"]})
    return rows


def run(digitnet, digitnet_has_gpu, compile_too=False, samples=7):
    """All rows of the large configurations, printed as a table; [] with a note when they cannot run."""
    if not os.path.exists(os.path.join(FASHION, "train-images-idx3-ubyte.gz")):
        print(f"large configurations: {FASHION} not found: skipped")
        return []
    if torch is None or not torch.cuda.is_available():
        print("large configurations: they compare GPUs (PyTorch with CUDA needed): skipped")
        return []
    X, y = load_fashion()
    rows = []
    for name, sizes, digitnet_iterations, inner in CONFIGS:
        rows.extend(cublas_rows(name, sizes, X.shape[0]))
        rows.extend(torch_rows(X, y, name, sizes, inner, samples, compile_too))
        if digitnet_has_gpu:
            rows.extend(digitnet_rows(digitnet, name, sizes, digitnet_iterations))
        torch.cuda.empty_cache()
    print_table(rows)
    return rows


def print_table(rows):
    print()
    print("Large configurations (60000 Fashion-MNIST examples, one gd iteration, same GPU, same run):")
    header = f"{'config':<18} {'implementation':<52} {'per iter / GEMM':>16} {'TFLOP/s':>9} {'x digitnet':>11}"
    print(header)
    print("-" * len(header))
    digitnet = {(r["config"], r["mode"]): r["seconds_per_iteration"] for r in rows
                if r["name"].startswith("digitnet") and "seconds_per_iteration" in r}
    for r in rows:
        if "skipped" in r:
            print(f"{r['config']:<18} {r['name']:<52} skipped: {r['skipped']}")
            continue
        seconds = r.get("seconds_per_iteration", r.get("seconds"))
        ratio = "-"
        if "seconds_per_iteration" in r and (r["config"], r["mode"]) in digitnet:
            ratio = f"{seconds / digitnet[(r['config'], r['mode'])]:.2f}"
        print(f"{r['config']:<18} {r['name']:<52} {seconds * 1e3:>13.3f} ms {r['tflops']:>9.1f} {ratio:>11}")
    print("  x digitnet: the row's time per iteration / digitnet's in the same precision (> 1: digitnet faster)")
