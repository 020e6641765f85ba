"""Ctrl-C during train: a SIGINT sent from another thread raises KeyboardInterrupt at the end of
the iteration it arrives in, and leaves everything usable."""
import os
import signal
import threading
import time

import numpy as np
import pytest

import digitnet as dn


def interrupt_after(seconds, sent):
    def send():
        sent.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(seconds, send)
    timer.start()
    return timer


@pytest.mark.parametrize("optimizer", ["gd", "cg", "adam"])
def test_sigint_raises_keyboard_interrupt_within_an_iteration(digits, optimizer):
    steps = []  # (iteration, time) of each callback
    sent = []
    timer = interrupt_after(0.5, sent)
    try:
        with pytest.raises(KeyboardInterrupt):
            # Each optimizer with its own option only: the others' are refused (run/settings.hpp).
            long = {"epochs": 10**4} if optimizer == "adam" else {"iterations": 10**6}
            dn.train(digits.X, digits.y, optimizer=optimizer, device="cpu",
                     callback=lambda i, cost: steps.append((i, time.monotonic())), **long)
    finally:
        timer.join()
    assert sent
    # The signal is checked before the callback of every iteration: at most the iteration during
    # which it arrived reports after it.
    assert sum(1 for _, t in steps if t > sent[0]) <= 1
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_sigint_without_callback(digits):
    sent = []
    timer = interrupt_after(0.3, sent)
    try:
        with pytest.raises(KeyboardInterrupt):
            dn.train(digits.X, digits.y, iterations=10**6, device="cpu")
    finally:
        timer.join()


def test_nothing_broken_after_an_interrupt(digits):
    X, y = digits.X[:300], digits.y[:300]
    before = dn.train(X, y, iterations=20, device="cpu")
    sent = []
    timer = interrupt_after(0.2, sent)
    try:
        with pytest.raises(KeyboardInterrupt):
            dn.train(digits.X, digits.y, iterations=10**6, device="cpu")
    finally:
        timer.join()
    after = dn.train(X, y, iterations=20, device="cpu")
    assert after.final_cost == before.final_cost
    assert all(np.array_equal(a, b) for a, b in zip(after.thetas, before.thetas))
