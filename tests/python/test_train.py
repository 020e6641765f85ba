"""train: the same run as the command line's for the same seed and options (identical final cost
and weights), the callback, the progress bar, and the model's predictions."""
import pickle

import numpy as np
import pytest

import digitnet as dn


@pytest.mark.parametrize("optimizer,options,cli_options", [
    ("gd", {"iterations": 40, "alpha": 0.8}, ["--iters", 40, "--alpha", 0.8]),
    ("cg", {"iterations": 8}, ["--iters", 8]),
    ("adam", {"epochs": 1, "batch": 500, "learning_rate": 0.01}, ["--epochs", 1, "--batch", 500, "--lr", 0.01]),
])
def test_matches_cli(tmp_path, digits, data_path, cli_json, optimizer, options, cli_options):
    saved = tmp_path / "model.mat"
    out = cli_json("train", "--data", data_path, "--optimizer", optimizer, *cli_options, "--lambda", 1, "--seed", 5,
                   "--hidden", 25, "--device", "cpu", "--precision", "float", "--save", saved, "--quiet")
    model = dn.train(digits.X, digits.y, hidden=[25], optimizer=optimizer, lambda_=1.0, seed=5, device="cpu",
                     precision="float", **options)
    assert model.final_cost == out["final_cost"]
    assert len(model.history) == out["iterations"]
    theirs = dn.load_model(saved)
    assert len(theirs.thetas) == len(model.thetas)
    for ours, cli_theta in zip(model.thetas, theirs.thetas):
        assert np.array_equal(ours, cli_theta)
    assert model.accuracy(digits.X, digits.y, device="cpu") == pytest.approx(out["train_accuracy"], abs=1e-12)


def test_other_activations_match_cli(tmp_path, digits, data_path, cli_json):
    saved = tmp_path / "model.mat"
    out = cli_json("train", "--data", data_path, "--iters", 20, "--alpha", 0.1, "--activation", "relu", "--output",
                   "softmax", "--hidden", "16,12", "--device", "cpu", "--save", saved, "--quiet")
    model = dn.train(digits.X, digits.y, hidden=[16, 12], activation="relu", output="softmax", iterations=20,
                     alpha=0.1, device="cpu")
    assert model.final_cost == out["final_cost"]
    theirs = dn.load_model(saved)
    assert (theirs.activation, theirs.output) == ("relu", "softmax")
    assert all(np.array_equal(a, b) for a, b in zip(model.thetas, theirs.thetas))


def test_init_is_random_initialization(digits):
    """train(seed=s) starts from random_initialization(seed=s): the same weights after training."""
    X, y = digits.X[:500], digits.y[:500]
    from_seed = dn.train(X, y, iterations=5, seed=11, device="cpu")
    from_init = dn.train(X, y, iterations=5, init=dn.random_initialization([400, 25, 10], seed=11), device="cpu")
    assert all(np.array_equal(a, b) for a, b in zip(from_seed.thetas, from_init.thetas))


def test_callback_every_n_and_stop(digits):
    X, y = digits.X[:500], digits.y[:500]
    seen = []

    def callback(iteration, cost):
        seen.append((iteration, cost))
        return iteration < 30  # False at 30: stop there

    model = dn.train(X, y, iterations=100, device="cpu", callback=callback, callback_every=10)
    assert [i for i, _ in seen] == [10, 20, 30]
    assert len(model.history) == 30
    assert [c for _, c in seen] == [model.history[i - 1] for i, _ in seen]
    assert model.final_cost is None  # stopped early: no final evaluation
    # The model trained so far is usable, and equal to a 30-iteration run.
    thirty = dn.train(X, y, iterations=30, device="cpu")
    assert all(np.array_equal(a, b) for a, b in zip(model.thetas, thirty.thetas))


def test_callback_exception_propagates(digits):
    def callback(iteration, cost):
        raise ZeroDivisionError(f"from the callback at {iteration}")

    with pytest.raises(ZeroDivisionError, match="from the callback at 1"):
        dn.train(digits.X[:200], digits.y[:200], iterations=50, device="cpu", callback=callback)


def test_progress_bar(digits, capfd):
    dn.train(digits.X[:200], digits.y[:200], iterations=30, device="cpu", progress=True)
    err = capfd.readouterr().err
    assert "30/30" in err and "cost" in err


def test_diverging_run_raises(digits):
    with pytest.raises(dn.TrainingDiverged, match="diverged"):
        dn.train(digits.X[:200], digits.y[:200], iterations=50, alpha=1e300, device="cpu")


def test_model_predict_save_load_pickle(tmp_path, digits, data_path, cli_json):
    model = dn.train(digits.X, digits.y, iterations=60, device="cpu")
    proba = model.predict_proba(digits.X_test[:50], device="cpu")
    assert proba.shape == (50, 10) and np.allclose(proba.sum(axis=1), 1)
    predicted = model.predict(digits.X_test, device="cpu")
    assert predicted.min() >= 1 and predicted.max() <= 10  # ex4 labels
    assert np.array_equal(predicted, np.argmax(model.outputs(digits.X_test, device="cpu"), axis=1) + 1)

    path = tmp_path / "model.mat"
    model.save(path)
    out = cli_json("predict", "--model", path, "--data", data_path, "--set", "test", "--device", "cpu")
    assert model.accuracy(digits.X_test, digits.y_test, device="cpu") == pytest.approx(out["accuracy"], abs=1e-12)

    loaded = dn.Model.load(path)
    assert loaded.layer_sizes == [400, 25, 10] and loaded.label_base == 1 and loaded.image == (20, 20, "F")
    assert all(np.array_equal(a, b) for a, b in zip(loaded.thetas, model.thetas))

    unpickled = pickle.loads(pickle.dumps(model))
    assert all(np.array_equal(a, b) for a, b in zip(unpickled.thetas, model.thetas))
    assert np.array_equal(unpickled.history, model.history) and unpickled.final_cost == model.final_cost
    assert np.array_equal(unpickled.predict(digits.X_test[:100]), model.predict(digits.X_test[:100]))


def test_idx_style_labels(tmp_path, digits):
    """A data set with labels 0..9 (label_base 0) trains and predicts labels 0..9."""
    X, y0 = digits.X[::10], digits.y[::10] % 10  # 10 (the digit 0) becomes 0
    model = dn.train(X, y0, iterations=30, device="cpu", label_base=0, image=(20, 20, "F"))
    assert model.label_base == 0 and model.layer_sizes[-1] == 10
    assert set(np.unique(model.predict(X))) <= set(range(10))
    model.save(tmp_path / "m.mat")
    assert dn.load_model(tmp_path / "m.mat").label_base == 0


def test_seed_article_script(tmp_path):
    """scripts/seed_article.py runs end to end (fewer iterations) and prints the article's steps."""
    import os
    import subprocess
    import sys

    from conftest import SOURCE

    done = subprocess.run([sys.executable, str(SOURCE / "scripts" / "seed_article.py"), "--iterations", "30",
                           "--out", str(tmp_path / "grid.png"), "--device", "cpu"],
                          capture_output=True, text=True, env={**os.environ, "MPLBACKEND": "Agg"})
    assert done.returncode == 0, done.stderr
    assert "X.shape, y.shape: (5000, 400), (5000,)" in done.stdout
    assert "gradient descent: 30 iterations" in done.stdout and "train accuracy" in done.stdout
    assert (tmp_path / "grid.png").stat().st_size > 1000
