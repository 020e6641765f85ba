"""numpy arrays in and out: float32/float64 arrays in C or F order are read in place (no
converted copy first); other dtypes and strided views are converted; results own the core's
buffers."""
import numpy as np
import pytest

import digitnet as dn
from digitnet import _core


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("order", ["C", "F"])
def test_contiguous_float_arrays_are_read_in_place(dtype, order):
    X = np.asarray(np.random.default_rng(1).random((30, 7)), dtype=dtype, order=order)
    assert _core.input_buffer_address(X) == X.ctypes.data


@pytest.mark.parametrize("make", [
    lambda X: X.astype(np.int64),
    lambda X: X.astype(np.float16),
    lambda X: X[:, ::2],
    lambda X: X.astype(">f8"),
])
def test_other_arrays_are_converted(make):
    X = make(np.random.default_rng(1).random((30, 8)))
    assert _core.input_buffer_address(X) != X.ctypes.data


def test_results_own_the_cores_buffers(digits):
    assert digits.X.dtype == np.float64 and digits.X.flags.c_contiguous and not digits.X.flags.owndata
    thetas = dn.random_initialization([400, 25, 10], seed=1)
    # Each Theta is a view into one flat buffer (as the core lays the parameters out).
    assert thetas[0].base is thetas[1].base and thetas[0].base.size == 25 * 401 + 10 * 26
    _, grads = dn.cost_and_gradient(thetas, digits.X[:100], digits.y[:100], 1.0, device="cpu")
    assert grads[0].base is grads[1].base and grads[0].flags.c_contiguous


def test_model_thetas_are_numpy_arrays(digits):
    model = dn.train(digits.X[:100], digits.y[:100], iterations=2, device="cpu")
    assert [t.shape for t in model.thetas] == [(25, 401), (10, 26)]
    assert all(t.dtype == np.float64 for t in model.thetas)


def test_images_view(digits):
    images = digits.images()
    assert images.shape == (5000, 20, 20)
    # Column-major (MATLAB) order: pixel (r, c) of example i is X[i, c*20 + r].
    assert images[7, 3, 5] == digits.X[7, 5 * 20 + 3]
    assert np.shares_memory(images, digits.X)
