"""Every bad argument gives the right exception, naming the argument; a file's problem gives
ValueError with the command line's own one-line message."""
import numpy as np
import pytest

import digitnet as dn
from conftest import has_gpu


@pytest.fixture(scope="module")
def small(digits):
    return digits.X[:50], digits.y[:50], dn.random_initialization([400, 25, 10], seed=1)


def cost(small, **changes):
    X, y, thetas = small
    arguments = {"thetas": thetas, "X": X, "y": y, "lambda_": 1.0, "device": "cpu"}
    arguments.update(changes)
    return dn.cost_and_gradient(**arguments)


@pytest.mark.parametrize("changes,error,message", [
    ({"X": np.zeros(400)}, ValueError, r"^X: expected a 2-D array .* got shape \(400,\).*HINT"),
    ({"X": np.zeros((50, 400, 1))}, ValueError, r"^X: expected a 2-D array"),
    ({"X": np.zeros((0, 400))}, ValueError, r"^X: is empty"),
    ({"X": np.full((50, 400), "a")}, TypeError, r"^X: expected a 2-D array of numbers, got dtype <U1"),
    ({"X": None}, TypeError, r"^X: expected a 2-D array of numbers, got NoneType"),
    ({"X": np.zeros((50, 400), dtype=np.complex128)}, TypeError, r"^X: .*complex128"),
    ({"X": np.zeros((50, 399))}, ValueError, r"^X: has 399 features per example but thetas\[0\] takes 400"),
    ({"y": np.ones(49)}, ValueError, r"^y: has 49 labels but X has 50 examples"),
    ({"y": np.ones((50, 2))}, ValueError, r"^y: expected labels of shape \(m,\) or \(m, 1\)"),
    ({"y": np.full(50, 1.5)}, ValueError, r"^y: label 1.5 of example 1 is not a whole number"),
    ({"y": np.zeros(50)}, ValueError, r"^y: label 0.0 of example 1 is below label_base 1.*label_base=0"),
    ({"y": np.full(50, "1")}, TypeError, r"^y: expected an array of whole-number labels"),
    ({"y": np.full(50, 11)}, ValueError, r"label 11"),
    ({"thetas": np.zeros((25, 401))}, TypeError, r"^thetas: expected a list of 2-D arrays"),
    ({"thetas": []}, ValueError, r"^thetas: is empty"),
    ({"thetas": [np.zeros((25, 401)), np.zeros((10, 25))]}, ValueError,
     r"^thetas\[1\]: has 25 columns but thetas\[0\] has 25 rows, so 26 were expected"),
    ({"thetas": [np.zeros((25, 401)), np.full((10, 26), np.nan)]}, ValueError, r"^thetas\[1\]: a NaN at row 1, column 1"),
    ({"lambda_": -1.0}, ValueError, r"^lambda_: must be zero or positive"),
    ({"lambda_": float("nan")}, ValueError, r"^lambda_: must be a finite number"),
    ({"lambda_": "1"}, TypeError, r"^lambda_: expected a number, got str"),
    ({"device": "tpu"}, ValueError, r"^device: expected one of auto, cpu, gpu, got 'tpu'"),
    ({"device": 0}, TypeError, r"^device: expected one of auto, cpu, gpu \(a string\), got int"),
    ({"precision": "half"}, ValueError, r"^precision: expected one of float, double"),
    ({"activation": "swish"}, ValueError, r"^activation: expected one of sigmoid, tanh, relu"),
    ({"output": "linear"}, ValueError, r"^output: expected one of sigmoid, softmax"),
    ({"label_base": 1.0}, TypeError, r"^label_base: expected an integer, got float"),
])
def test_cost_and_gradient_arguments(small, changes, error, message):
    with pytest.raises(error, match=message):
        cost(small, **changes)


def test_nan_in_X_names_the_place(small):
    X = small[0].copy()
    X[2, 3] = np.inf
    with pytest.raises(ValueError, match=r"^X: an infinite value at row 3, column 4$"):
        cost(small, X=X)


@pytest.mark.parametrize("changes,error,message", [
    ({"iterations": 0}, ValueError, r"^iterations: must be at least 1, got 0"),
    ({"iterations": 1.5}, TypeError, r"^iterations: expected an integer, got float"),
    ({"iterations": True}, TypeError, r"^iterations: expected an integer, got bool"),
    ({"alpha": 0}, ValueError, r"^alpha: must be positive"),
    ({"alpha": "0.5"}, TypeError, r"^alpha: expected a number, got str"),
    ({"lambda_": -0.5}, ValueError, r"^lambda_: must be zero or positive"),
    ({"optimizer": "sgd"}, ValueError, r"^optimizer: expected one of gd, cg, adam, got 'sgd'"),
    ({"hidden": [25, 0]}, ValueError, r"^hidden\[1\]: must be at least 1, got 0"),
    ({"hidden": ["25"]}, TypeError, r"^hidden\[0\]: expected an integer, got str"),
    ({"optimizer": "adam", "epochs": 0}, ValueError, r"^epochs: must be at least 1"),
    ({"optimizer": "adam", "batch": -1}, ValueError, r"^batch: must be at least 1"),
    ({"optimizer": "adam", "learning_rate": -1e-3}, ValueError, r"^learning_rate: must be positive"),
    ({"optimizer": "adam", "epochs": 2**31}, ValueError, r"^epochs: must be a whole number below 2\^31"),
    ({"optimizer": "adam", "epochs": 1.0}, TypeError, r"^epochs: expected an integer, got float"),
    ({"seed": -1}, ValueError, r"^seed: must be at least 0"),
    ({"seed": 2**64}, ValueError, r"^seed: must be below 2\*\*64"),
    ({"callback": 5}, TypeError, r"^callback: expected a function"),
    ({"callback_every": 0}, ValueError, r"^callback_every: must be at least 1"),
    ({"progress": "yes"}, TypeError, r"^progress: expected True or False"),
    ({"image": (20, 20, "X")}, ValueError, r"^image\[2\]: expected one of F, C"),
    ({"image": 20}, TypeError, r"^image: expected \(rows, cols, order\)"),
    ({"init": [np.zeros((25, 301)), np.zeros((10, 26))]}, ValueError, r"^init: takes 300 inputs but X has 400 features"),
    ({"init": [np.zeros((25, 401)), np.zeros((5, 26))]}, ValueError, r"^init: has 5 outputs but y has labels up to 10"),
    ({"device": "quantum"}, ValueError, r"^device: expected one of auto, cpu, gpu"),
    ({"y": np.zeros(50)}, ValueError, r"^y: label 0.0 of example 1 is below label_base 1"),
])
def test_train_arguments(small, changes, error, message):
    X, y, _ = small
    arguments = {"X": X, "y": y, "iterations": 2, "device": "cpu"}
    if changes.get("optimizer") == "adam":
        del arguments["iterations"]  # gd's and cg's: adam refuses it
    arguments.update(changes)
    with pytest.raises(error, match=message):
        dn.train(**arguments)


def test_random_initialization_arguments():
    with pytest.raises(ValueError, match=r"^layer_sizes: needs at least two sizes"):
        dn.random_initialization([400])
    with pytest.raises(ValueError, match=r"^layer_sizes\[1\]: must be at least 1"):
        dn.random_initialization([400, 0, 10])
    with pytest.raises(TypeError, match=r"^layer_sizes: expected a list"):
        dn.random_initialization(400)


def test_model_arguments(tmp_path, small):
    X, y, thetas = small
    with pytest.raises(TypeError, match=r"^thetas: expected a list"):
        dn.Model(np.zeros((25, 401)))
    with pytest.raises(ValueError, match=r"^thetas\[1\]: has 20 columns"):
        dn.Model([np.zeros((25, 401)), np.zeros((10, 20))])
    model = dn.Model(thetas)
    with pytest.raises(ValueError, match=r"^X: has 300 features per example but the model takes 400"):
        model.predict(np.zeros((3, 300)))
    with pytest.raises(ValueError, match=r"^y: has 49 labels but X has 50 examples"):
        model.accuracy(X, y[:49])
    with pytest.raises(TypeError, match=r"^path: expected a file name, got int"):
        model.save(3)


def same_message_as_cli(cli, python_call, *cli_args):
    """The ValueError's message is the command line's error line, without its "digitnet: error: "."""
    with pytest.raises(ValueError) as caught:
        python_call()
    done = cli(*cli_args, check=False)
    assert done.returncode == 2
    cli_line = done.stderr.strip().splitlines()[-1]
    assert cli_line == "digitnet: error: " + str(caught.value)
    assert "\n" not in str(caught.value)


def test_file_errors_carry_the_cli_message(tmp_path, cli):
    missing = str(tmp_path / "missing.mat")
    same_message_as_cli(cli, lambda: dn.load_data(missing), "train", "--data", missing)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 4)
    same_message_as_cli(cli, lambda: dn.load_data(junk), "train", "--data", junk)
    same_message_as_cli(cli, lambda: dn.load_model(junk), "cost", "--model", junk)
    with pytest.raises(TypeError, match=r"^path: expected a file name"):
        dn.load_data(12)


def test_save_into_missing_folder_raises_value_error(tmp_path, small):
    with pytest.raises(ValueError, match="missing"):
        dn.Model(small[2]).save(tmp_path / "missing" / "model.mat")


@pytest.mark.skipif(has_gpu(), reason="a GPU is present")
def test_gpu_request_without_gpu(small):
    with pytest.raises(dn.UnavailableError):
        cost(small, device="gpu")
    with pytest.raises(RuntimeError):  # UnavailableError is a RuntimeError
        dn.train(small[0], small[1], iterations=1, device="gpu")


def test_init_must_agree_with_hidden_activation_output(small):
    X, y, thetas = small
    model = dn.Model(thetas, activation="tanh")
    with pytest.raises(ValueError, match=r"^hidden: \[30\] differs from init's \[25\]"):
        dn.train(X, y, init=model, hidden=[30], iterations=1, device="cpu")
    with pytest.raises(ValueError, match=r"^activation: 'relu' differs from init's 'tanh'"):
        dn.train(X, y, init=model, activation="relu", iterations=1, device="cpu")
    with pytest.raises(TypeError, match=r"^init: expected a Model or a list"):
        dn.train(X, y, init=np.zeros((25, 401)), iterations=1, device="cpu")
    # A Model brings its activation along.
    assert dn.train(X, y, init=model, iterations=1, device="cpu").activation == "tanh"
