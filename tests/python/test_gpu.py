"""The GPU path, on a machine with a GPU (skipped elsewhere): the same results as the CPU."""
import os
import signal
import threading

import numpy as np
import pytest

import digitnet as dn
from conftest import has_gpu, relative

pytestmark = pytest.mark.skipif(not has_gpu(), reason="no GPU on this machine")


@pytest.mark.parametrize("precision,tolerance", [("double", 1e-10), ("float", 1e-5)])
def test_cost_and_gradient_on_gpu(digits, precision, tolerance):
    thetas = dn.random_initialization([400, 25, 10], seed=4)
    J_cpu, g_cpu = dn.cost_and_gradient(thetas, digits.X, digits.y, 1.0, device="cpu", precision="double")
    J_gpu, g_gpu = dn.cost_and_gradient(thetas, digits.X, digits.y, 1.0, device="gpu", precision=precision)
    assert relative(J_gpu, J_cpu) < tolerance
    assert all(relative(a, b) < 100 * tolerance for a, b in zip(g_gpu, g_cpu))


def test_train_on_gpu(digits):
    gpu = dn.train(digits.X, digits.y, iterations=200, device="gpu", precision="double")
    cpu = dn.train(digits.X, digits.y, iterations=200, device="cpu", precision="double")
    assert gpu.device.startswith("gpu")
    assert relative(gpu.final_cost, cpu.final_cost) < 1e-9
    assert np.mean(gpu.predict(digits.X_test, device="gpu") == cpu.predict(digits.X_test, device="cpu")) > 0.999


def test_sigint_on_gpu(digits):
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            dn.train(digits.X, digits.y, iterations=10**8, device="gpu")
    finally:
        timer.join()
    assert dn.train(digits.X[:500], digits.y[:500], iterations=10, device="gpu").final_cost > 0
