"""The floor of one iteration (the same formulas as bench/bench_iteration.cpp), the CPU timing
helpers, and the measured GEMM rate of this CPU."""

import statistics
import time

import numpy as np


def iteration_flops(sizes, m):
    """GEMM FLOPs: 4 m sum_l s_l (s_(l-1)+1) + 2 m sum_(l>=2) s_l s_(l-1)."""
    forward = sum(2.0 * m * sizes[l] * (sizes[l - 1] + 1) for l in range(1, len(sizes)))
    deltas = sum(2.0 * m * sizes[l] * sizes[l - 1] for l in range(2, len(sizes)))
    return 2 * forward + deltas


def minimum_bytes(sizes, m, element_bytes):
    """X read once, parameters read and written once, int32 labels."""
    parameters = sum(sizes[l] * (sizes[l - 1] + 1) for l in range(1, len(sizes)))
    return (m * sizes[0] + 2 * parameters) * element_bytes + 4 * m


def timed_samples(fn, repeats):
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def median_seconds(fn, repeats):
    return statistics.median(timed_samples(fn, repeats))


def cpu_gemm_rate(dtype, n=2048, repeats=5):
    a = np.random.default_rng(0).random((n, n)).astype(dtype)
    b = a.T.copy()
    a @ b  # warm-up
    return 2.0 * n ** 3 / median_seconds(lambda: a @ b, repeats)
