"""Python keeps the command line's promises (issue 20): it trains through the same run layer, so
its checks, conventions and messages are the command line's."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import scipy.io

import digitnet as dn
from conftest import SOURCE


@pytest.fixture(scope="module")
def small(digits):
    return digits.X[::25], digits.y[::25]  # 200 examples of every class


def python_child(code, **kwargs):
    """Runs code in a fresh python3 with the same module; returns the Popen."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def test_save_refuses_the_data_file_it_trained_on_and_the_embedded_set(tmp_path, data_path):
    copy = tmp_path / "digits.mat"
    copy.write_bytes(open(data_path, "rb").read())
    before = copy.read_bytes()
    data = dn.load_data(copy)
    model = dn.train(data.X[:100], data.y[:100], iterations=2, device="cpu")
    with pytest.raises(ValueError, match="digits.mat"):
        model.save(copy)
    assert copy.read_bytes() == before
    embedded = SOURCE / "data" / "digits20.mat"
    embedded_before = embedded.read_bytes()
    with pytest.raises(ValueError, match="digits20.mat.*would destroy the input"):
        model.save(embedded)
    assert embedded.read_bytes() == embedded_before


def test_a_nul_byte_in_a_path_is_an_error_not_a_shorter_name(tmp_path, small):
    victim = tmp_path / "victim.csv"
    victim.write_text("keep me\n")
    model = dn.train(*small, iterations=1, device="cpu")
    with pytest.raises(ValueError, match="NUL byte"):
        model.save(str(victim) + "\x00.mat")
    assert victim.read_text() == "keep me\n"
    with pytest.raises(ValueError, match="NUL byte"):
        dn.load_data(str(victim) + "\x00.mat")


def test_a_network_too_large_for_the_memory_is_refused_with_the_numbers():
    # 2 GiB of address space: the CLI refuses the same network (test_file_guarantees.cpp).
    child = python_child("""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
        import digitnet as dn
        data = dn.load_data()
        try:
            dn.train(data.X, data.y, hidden=[100000], iterations=1, device="cpu")
        except ValueError as e:
            print("REFUSED", e)
    """)
    out, err = child.communicate(timeout=120)
    assert "REFUSED" in out and "needs about" in out and "hidden" in out, out + err


def test_load_then_save_keeps_the_digit_box(tmp_path, small):
    model = dn.train(*small, iterations=2, device="cpu")
    first, second = tmp_path / "first.mat", tmp_path / "second.mat"
    model.save(first)
    dn.load_model(first).save(second)
    box_first = scipy.io.loadmat(first)["digitnet_digit_box"]
    box_second = scipy.io.loadmat(second)["digitnet_digit_box"]
    assert model.digit_box is not None
    np.testing.assert_array_equal(box_first, box_second)
    assert dn.load_model(second).digit_box == model.digit_box


@pytest.mark.parametrize("change,message", [
    ({"label_base": 2}, "label_base is 2"),
    ({"label_base": -5}, "label_base is -5"),
    ({"image": (3, 3, "F")}, "3 x 3 but the model takes 400 inputs"),
    ({"ink": 0.0}, "two different finite numbers"),
])
def test_save_refuses_metadata_it_could_not_read_back(tmp_path, small, change, message):
    model = dn.train(*small, iterations=1, device="cpu")
    arguments = {"label_base": model.label_base, "image": model.image, "background": 0.0, "ink": 1.0}
    arguments.update(change)
    bad = dn.Model(model.thetas, **arguments)
    path = tmp_path / "bad.mat"
    with pytest.raises(ValueError, match=message):
        bad.save(path)
    assert not path.exists()


def test_uint8_pixels_become_0_to_1_as_the_file_readers_make_them(digits):
    pixels = np.round(digits.X[:300] * 255).clip(0, 255).astype(np.uint8)
    scaled = pixels.astype(np.float64) * (1.0 / 255)
    a = dn.train(pixels, digits.y[:300], iterations=5, device="cpu")
    b = dn.train(scaled, digits.y[:300], iterations=5, device="cpu")
    assert all(np.array_equal(x, y) for x, y in zip(a.thetas, b.thetas))
    assert a.accuracy(pixels, digits.y[:300]) == b.accuracy(scaled, digits.y[:300])


@pytest.mark.parametrize("option", [{"epochs": 3}, {"learning_rate": 0.1}, {"batch": 10}])
def test_gd_refuses_the_options_of_adam(small, option):
    with pytest.raises(ValueError, match=r"is an option of optimizer=adam, not of gd, which would ignore it"):
        dn.train(*small, device="cpu", **option)
    with pytest.raises(ValueError, match=r"alpha is an option of optimizer=gd, not of adam"):
        dn.train(*small, optimizer="adam", alpha=0.5, device="cpu")


@pytest.mark.parametrize("arguments,message", [
    ({"iterations": 2**31}, r"^iterations: must be a whole number below 2\^31"),
    ({"iterations": 2**4000}, r"^iterations: must be a whole number below 2\^31"),
    ({"hidden": [2**31]}, r"^hidden\[0\]: must be at most 2147483647"),
    ({"label_base": 2**40}, r"^label_base: must be at most 2147483647"),
    ({"callback_every": 2**63}, r"^callback_every: must be at most"),
])
def test_integers_beyond_an_int_are_a_clear_error(small, arguments, message):
    with pytest.raises(ValueError, match=message):
        dn.train(*small, device="cpu", **arguments)
    with pytest.raises(ValueError, match=r"^examples: must be at most"):
        dn.gradcheck(examples=2**31)


def test_gradcheck_honours_ctrl_c_within_a_second():
    child = python_child("""
        import digitnet as dn
        print("STARTED", flush=True)
        try:
            dn.gradcheck(examples=5000, hidden=[25], device="cpu")
            print("FINISHED")
        except KeyboardInterrupt:
            print("INTERRUPTED")
    """)
    assert child.stdout.readline().strip() == "STARTED"
    time.sleep(1.0)
    child.send_signal(signal.SIGINT)
    sent = time.monotonic()
    out, err = child.communicate(timeout=60)
    assert "INTERRUPTED" in out, out + err
    assert time.monotonic() - sent < 2.0


def test_gradcheck_checks_the_network_to_train():
    result = dn.gradcheck(examples=3, hidden=[6, 4], activation="relu", output="softmax", device="cpu")
    assert result["passed"], result
    assert "400-6-4-10 relu softmax" in result["checks"][1]["check"], result
    assert "3-5-5-3 relu softmax" in result["checks"][0]["check"], result


def test_a_fifo_is_refused_at_once_not_read_forever(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    start = time.monotonic()
    with pytest.raises(ValueError, match="FIFO"):
        dn.load_data(fifo)
    with pytest.raises(ValueError, match="FIFO"):
        dn.load_model(fifo)
    assert time.monotonic() - start < 5


def test_a_model_of_the_other_label_convention_is_refused(digits, small):
    X, y = small  # ex4 labels 1..10
    digit_labels = y % 10  # the digits 0..9
    model = dn.train(X, digit_labels, label_base=0, iterations=2, device="cpu")
    with pytest.raises(ValueError, match=r"label 10 .* not one of the model's labels 0..9.*ex4"):
        model.accuracy(X, y)
    with pytest.raises(ValueError, match=r"trained on labels that are the digits 0..9"):
        dn.train(X, y, init=model, iterations=1, device="cpu")
    assert 0 <= model.accuracy(X, digit_labels) <= 1


def test_adams_divergence_hint_names_learning_rate(small):
    with pytest.raises(dn.TrainingDiverged, match=r"HINT: try a smaller learning_rate"):
        dn.train(*small, optimizer="adam", learning_rate=1e300, epochs=1, device="cpu")
