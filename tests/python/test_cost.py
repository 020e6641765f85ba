"""cost_and_gradient: against a plain numpy implementation of the article's costFunction and
against the command line's `cost --grad`, in double to 1e-12 relative."""
import numpy as np
import pytest
import scipy.io

import digitnet as dn
from conftest import relative


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def article_cost_and_gradient(thetas, X, y, lambda_):
    """The article's costFunction, vectorised and for any number of sigmoid layers: forward
    propagation with a bias column, the per-class cross-entropy, backpropagation with the sigmoid
    gradient a(1 - a), regularisation of every column but the bias."""
    m = X.shape[0]
    K = thetas[-1].shape[0]
    Y = np.zeros((m, K))
    Y[np.arange(m), y - 1] = 1  # labels 1..K
    activations = [np.column_stack((np.ones(m), X))]
    for l, theta in enumerate(thetas):
        a = sigmoid(activations[-1] @ theta.T)
        activations.append(a if l == len(thetas) - 1 else np.column_stack((np.ones(m), a)))
    h = activations[-1]
    J = np.sum(-Y * np.log(h) - (1 - Y) * np.log(1 - h)) / m
    J += lambda_ / (2 * m) * sum(np.sum(theta[:, 1:] ** 2) for theta in thetas)
    grads = [None] * len(thetas)
    delta = h - Y
    for l in range(len(thetas) - 1, -1, -1):
        grads[l] = delta.T @ activations[l] / m
        grads[l][:, 1:] += lambda_ / m * thetas[l][:, 1:]
        if l > 0:
            a = activations[l][:, 1:]
            delta = (delta @ thetas[l][:, 1:]) * a * (1 - a)
    return J, grads


@pytest.mark.parametrize("sizes", [[400, 25, 10], [400, 16, 12, 10]])
@pytest.mark.parametrize("lambda_", [0.0, 1.0])
def test_matches_numpy_article(digits, sizes, lambda_):
    X, y = digits.X[:700], digits.y[:700]
    thetas = dn.random_initialization(sizes, seed=7)
    J, grads = dn.cost_and_gradient(thetas, X, y, lambda_, device="cpu", precision="double")
    J_ref, grads_ref = article_cost_and_gradient(thetas, X, y, lambda_)
    assert relative(J, J_ref) < 1e-12
    assert len(grads) == len(thetas)
    for g, g_ref, theta in zip(grads, grads_ref, thetas):
        assert g.shape == theta.shape and g.dtype == np.float64
        assert relative(g, g_ref) < 1e-12


def test_matches_cli(tmp_path, digits, data_path, cli_json):
    thetas = dn.random_initialization([400, 25, 10], seed=3)
    model_path, grad_path = tmp_path / "model.mat", tmp_path / "grad.mat"
    dn.Model(thetas).save(model_path)
    out = cli_json("cost", "--model", model_path, "--data", data_path, "--lambda", 1, "--grad", grad_path,
                   "--device", "cpu", "--precision", "double")
    J, grads = dn.cost_and_gradient(thetas, digits.X, digits.y, 1.0, device="cpu", precision="double")
    assert relative(J, out["cost"]) < 1e-12
    saved = scipy.io.loadmat(grad_path)
    for l, g in enumerate(grads, start=1):
        assert relative(g, saved[f"Theta{l}_grad"]) < 1e-12


def test_ex4weights_matches_cli(digits, data_path, ex4weights, cli_json):
    model = dn.load_model(ex4weights)
    for lambda_ in (0.0, 1.0):
        out = cli_json("cost", "--model", ex4weights, "--data", data_path, "--lambda", lambda_, "--device", "cpu",
                       "--precision", "double")
        J, _ = dn.cost_and_gradient(model.thetas, digits.X, digits.y, lambda_, device="cpu", precision="double")
        assert relative(J, out["cost"]) < 1e-12


def test_float_precision_close_to_double(digits):
    thetas = dn.random_initialization([400, 25, 10], seed=1)
    J64, g64 = dn.cost_and_gradient(thetas, digits.X, digits.y, 1.0, device="cpu", precision="double")
    J32, g32 = dn.cost_and_gradient(thetas, digits.X, digits.y, 1.0, device="cpu", precision="float")
    assert J32 != J64 and relative(J32, J64) < 1e-5
    assert all(relative(a, b) < 1e-4 for a, b in zip(g32, g64))


def test_input_layouts_and_dtypes_give_the_same_result(digits):
    """float32/float64, C/F order, integer pixels and nested lists all read as the same numbers."""
    thetas = dn.random_initialization([400, 25, 10], seed=2)
    X32 = digits.X[:300].astype(np.float32)
    X = X32.astype(np.float64)
    y = digits.y[:300]
    reference = dn.cost_and_gradient(thetas, X, y, 1.0, device="cpu", precision="double")
    for variant in (X32, np.asfortranarray(X32), np.asfortranarray(X), X.tolist(), np.repeat(X, 2, axis=1)[:, ::2]):
        J, grads = dn.cost_and_gradient(thetas, variant, y, 1.0, device="cpu", precision="double")
        assert J == reference[0]
        assert all(np.array_equal(a, b) for a, b in zip(grads, reference[1]))
    pixels = np.arange(300 * 400, dtype=np.uint8).reshape(300, 400) % 7
    J_int, _ = dn.cost_and_gradient(thetas, pixels, y, 1.0, device="cpu", precision="double")
    # Unsigned integer pixels become [0, 1] as every file reader makes them (issue 20).
    J_float, _ = dn.cost_and_gradient(thetas, pixels.astype(np.float64) * (1.0 / 255), y, 1.0, device="cpu", precision="double")
    assert J_int == J_float
    # The article's y is a (m, 1) column; labels may come as floats (loadmat gives doubles).
    J_column, _ = dn.cost_and_gradient(thetas, X, y.reshape(-1, 1).astype(np.float64), 1.0, device="cpu", precision="double")
    assert J_column == reference[0]


def test_label_base_zero(digits):
    thetas = dn.random_initialization([400, 25, 10], seed=2)
    y = digits.y[:200]
    J1, _ = dn.cost_and_gradient(thetas, digits.X[:200], y, 0.5, device="cpu", precision="double")
    J0, _ = dn.cost_and_gradient(thetas, digits.X[:200], y - 1, 0.5, label_base=0, device="cpu", precision="double")
    assert J0 == J1
