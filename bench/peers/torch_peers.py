"""(c) PyTorch peers, when it can be imported: the seed's math vectorised (written out, not
autograd), float32, on the CPU; on CUDA eagerly and with the whole step captured in one CUDA
graph and replayed; and the GPU's floor (SGEMM rate, device-to-device copy bandwidth)."""

import os
import statistics
import time

import numpy as np

from .arithmetic import timed_samples
from .recipe import ALPHA, ITERS, LABELS, LAMBDA
from .report import row
from .seed_numpy import accuracy_np

try:
    import torch
except ImportError:
    torch = None


class TorchVectorised:
    def __init__(self, X, y, Theta1, Theta2, device, dtype=None):
        dtype = dtype or torch.float32
        m = X.shape[0]
        self.m, self.device = m, device
        self.X1 = torch.tensor(np.column_stack((np.ones((m, 1)), X)), dtype=dtype, device=device)
        self.Y = torch.tensor((y.reshape(-1, 1) == np.arange(1, LABELS + 1)), dtype=dtype, device=device)
        self.T1 = torch.tensor(Theta1, dtype=dtype, device=device)
        self.T2 = torch.tensor(Theta2, dtype=dtype, device=device)
        self.ones = torch.ones((m, 1), dtype=dtype, device=device)
        self.cost = torch.zeros((), dtype=dtype, device=device)

    def reset(self, Theta1, Theta2):
        self.T1.copy_(torch.tensor(Theta1, dtype=self.T1.dtype))
        self.T2.copy_(torch.tensor(Theta2, dtype=self.T2.dtype))

    def cost_and_gradient(self):
        m, X1, Y, T1, T2 = self.m, self.X1, self.Y, self.T1, self.T2
        a2 = torch.sigmoid(X1 @ T1.T)
        a2 = torch.cat((self.ones, a2), dim=1)
        a3 = torch.sigmoid(a2 @ T2.T)
        J = torch.sum(-Y * torch.log(a3) - (1 - Y) * torch.log(1 - a3)) / m
        J = J + LAMBDA / (2 * m) * (torch.sum(T1[:, 1:] ** 2) + torch.sum(T2[:, 1:] ** 2))
        d3 = a3 - Y
        d2 = (d3 @ T2[:, 1:]) * a2[:, 1:] * (1 - a2[:, 1:])
        grad1 = d2.T @ X1 / m
        grad2 = d3.T @ a2 / m
        grad1[:, 1:] += LAMBDA / m * T1[:, 1:]
        grad2[:, 1:] += LAMBDA / m * T2[:, 1:]
        return J, grad1, grad2

    def step(self):
        """In place, so that it can be captured in a CUDA graph."""
        J, grad1, grad2 = self.cost_and_gradient()
        self.T1.sub_(ALPHA * grad1)
        self.T2.sub_(ALPHA * grad2)
        self.cost.copy_(J)

    def final(self, X, y, Xt, yt):
        J = float(self.cost_and_gradient()[0])
        T1, T2 = self.T1.double().cpu().numpy(), self.T2.double().cpu().numpy()
        return J, accuracy_np(T1, T2, X, y), accuracy_np(T1, T2, Xt, yt)


def torch_cpu_peer(data, init, args):
    X, y, Xt, yt = data
    torch.set_num_threads(os.cpu_count())  # some builds (Debian's) start with 1 thread
    net = TorchVectorised(X, y, *init, device="cpu")
    for _ in range(3):
        net.step()
    net.reset(*init)
    samples = timed_samples(net.step, args.samples)
    per_iter = statistics.median(samples)
    net.reset(*init)
    recipe, measured = None, False
    if not args.quick:
        start = time.perf_counter()
        for _ in range(ITERS):
            net.step()
        recipe, measured = time.perf_counter() - start, True
        J, acc, tacc = net.final(X, y, Xt, yt)
    else:
        J = acc = tacc = None
    return row(f"PyTorch {torch.__version__} CPU float32 ({torch.get_num_threads()} threads)", "cpu", per_iter,
               recipe if measured else per_iter * ITERS, measured, J, acc, tacc, extra={"samples_seconds": samples})


def cuda_time(fn, repeats, inner):
    """Median over `repeats` of the CUDA-event time of `inner` calls of fn, per call."""
    samples = []
    for _ in range(repeats):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(inner):
            fn()
        stop.record()
        stop.synchronize()
        samples.append(start.elapsed_time(stop) / 1e3 / inner)
    return statistics.median(samples)


def torch_cuda_peers(data, init, args):
    X, y, Xt, yt = data
    rows = []
    name = torch.cuda.get_device_name(0)
    net = TorchVectorised(X, y, *init, device="cuda")

    # Eager.
    for _ in range(20):
        net.step()
    torch.cuda.synchronize()
    net.reset(*init)
    per_iter = cuda_time(net.step, args.samples, 100)
    net.reset(*init)
    torch.cuda.synchronize()
    recipe = cuda_time(net.step, 1, ITERS) * ITERS
    J, acc, tacc = net.final(X, y, Xt, yt)
    rows.append(row(f"PyTorch {torch.__version__} CUDA eager float32", "gpu", per_iter, recipe, True, J, acc, tacc,
                    device_name=name))

    # The whole step captured in one CUDA graph, replayed.
    net.reset(*init)
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):  # warm-up on a side stream, as capture requires
            net.step()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        net.step()
    for _ in range(20):
        graph.replay()
    torch.cuda.synchronize()
    per_iter = cuda_time(graph.replay, args.samples, 100)
    net.reset(*init)
    torch.cuda.synchronize()
    recipe = cuda_time(graph.replay, 1, ITERS) * ITERS
    J, acc, tacc = net.final(X, y, Xt, yt)
    rows.append(row(f"PyTorch {torch.__version__} CUDA graph float32", "gpu", per_iter, recipe, True, J, acc, tacc,
                    device_name=name))
    return rows


def gpu_floor():
    n = 8192
    a = torch.randn((n, n), device="cuda", dtype=torch.float32)
    b = torch.randn((n, n), device="cuda", dtype=torch.float32)
    c = torch.empty((n, n), device="cuda", dtype=torch.float32)

    def product():
        torch.mm(a, b, out=c)

    for _ in range(3):
        product()
    sgemm = 2.0 * n ** 3 / cuda_time(product, 10, 1)
    src = torch.empty(1 << 28, device="cuda", dtype=torch.float32)  # 1 GiB
    dst = torch.empty_like(src)
    for _ in range(3):
        dst.copy_(src)
    copy_seconds = cuda_time(lambda: dst.copy_(src), 10, 1)
    bandwidth = 2.0 * src.numel() * src.element_size() / copy_seconds  # read + write
    return {"sgemm_flops_per_s": sgemm, "sgemm_size": n, "d2d_copy_bytes_per_s": bandwidth,
            "d2d_copy_note": "1 GiB tensor copy_, bytes read + written, CUDA events, median of 10",
            "gpu": torch.cuda.get_device_name(0), "tf32": bool(torch.backends.cuda.matmul.allow_tf32)}
