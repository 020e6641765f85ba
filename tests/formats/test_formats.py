"""digitnet's models in other runtimes, and theirs in digitnet (issue 23), checked by the runtimes
themselves: the ONNX checker (Debian's python3-onnx), onnxruntime (the npm package
onnxruntime-node, CPU, which tests/formats/install_onnxruntime.sh installs as the ctest fixture
formats.npm_install), PyTorch (python3-torch: load_state_dict, its forward pass, torch.onnx.export)
and numpy. digitnet's own outputs come from its Python module (import digitnet, in double).

Run by ctest (label formats) with PYTHONPATH=<build>/python, DIGITNET_BINARY and
DIGITNET_ONNXRUNTIME_NODE (the node_modules folder onnxruntime-node was installed into).
"""
import json
import os
import pathlib
import struct
import subprocess

import numpy as np
import pytest

try:  # Not a skip: CI installs them (scripts/install_deps.sh); a missing one is a failure that says so.
    import onnx
    import torch
except ImportError as error:  # pragma: no cover
    raise ImportError(f"tests/formats needs Debian's python3-onnx and python3-torch ({error}); "
                      "run scripts/install_deps.sh") from error

import digitnet

HERE = pathlib.Path(__file__).resolve().parent
SOURCE = HERE.parent.parent
DATA = SOURCE / "data" / "digits20.mat"
EX4WEIGHTS = SOURCE.parent / "shared" / "data" / "ex4weights.mat"
BINARY = os.environ.get("DIGITNET_BINARY", str(SOURCE / "build" / "digitnet"))
NODE_MODULES = os.environ.get("DIGITNET_ONNXRUNTIME_NODE", "")

TOLERANCE = 1e-5


def run(*arguments, expect=0):
    result = subprocess.run([BINARY, *map(str, arguments)], capture_output=True, text=True, timeout=600)
    assert result.returncode == expect, f"digitnet {' '.join(map(str, arguments))}: exit {result.returncode}\n" \
                                        f"{result.stdout}\n{result.stderr}"
    return result


def run_json(*arguments):
    return json.loads(run(*arguments, "--json").stdout)


@pytest.fixture(scope="module")
def data():
    loaded = digitnet.load_data(str(DATA))
    train = {"X": loaded.X, "y": loaded.y, "label_base": loaded.label_base}
    test = {"X": loaded.X_test, "y": loaded.y_test, "label_base": loaded.label_base}
    return train, test


# The models the issue names: the seed's sigmoid/sigmoid network, relu/softmax with two hidden
# layers, tanh. Trained briefly here (the seed's own weights when the shared folder has them).
MODELS = {
    "seed": ["--iters", "60"],
    "relu_softmax_two_hidden": ["--hidden", "25,15", "--activation", "relu", "--output", "softmax", "--iters", "60",
                                "--alpha", "0.5"],
    "tanh": ["--activation", "tanh", "--iters", "60", "--alpha", "0.5"],
}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    paths = {}
    for name, options in MODELS.items():
        path = folder / f"{name}.mat"
        if name == "seed" and EX4WEIGHTS.exists():
            path = EX4WEIGHTS
        else:
            run("train", "--data", DATA, "--device", "cpu", "--quiet", "--save", path, *options)
        paths[name] = path
    return paths


def digitnet_outputs(path, X, **assumptions):
    model = digitnet.load_model(str(path), **assumptions)
    return model, model.outputs(X, device="cpu", precision="double")


def torch_sequential(sizes, activation, output):
    act = {"sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[activation]
    layers = []
    for i, (inputs, outputs) in enumerate(zip(sizes, sizes[1:])):
        if i:
            layers.append(act())
        layers.append(torch.nn.Linear(inputs, outputs))
    return torch.nn.Sequential(*layers), (torch.nn.Sigmoid() if output == "sigmoid" else torch.nn.Softmax(dim=1))


def read_safetensors(path):
    """A .safetensors file by its spec (huggingface.co/docs/safetensors): tensors and metadata."""
    raw = pathlib.Path(path).read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + length])
    metadata = header.pop("__metadata__", {})
    data = raw[8 + length:]
    dtypes = {"F32": "<f4", "F64": "<f8"}
    tensors = {name: np.frombuffer(data[e["data_offsets"][0]:e["data_offsets"][1]], dtypes[e["dtype"]])
               .reshape(e["shape"]) for name, e in header.items()}
    return tensors, metadata


def read_npz(path):
    with np.load(path) as npz:  # allow_pickle=False: the metadata is a plain unicode string
        tensors = {name: npz[name] for name in npz.files if name != "digitnet_metadata"}
        metadata = json.loads(str(npz["digitnet_metadata"])) if "digitnet_metadata" in npz.files else {}
    return tensors, metadata


def numpy_forward(tensors, X, activation, output):
    act = {"sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}[activation]
    indices = sorted({int(name.split(".")[0]) for name in tensors})
    a = X
    for i, index in enumerate(indices):
        z = a @ tensors[f"{index}.weight"].astype(np.float64).T + tensors[f"{index}.bias"].astype(np.float64)
        a = act(z) if i + 1 < len(indices) else z
    if output == "softmax":
        e = np.exp(a - a.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    return 1 / (1 + np.exp(-a))


def onnxruntime_outputs(model_path, X, folder):
    """Y of an .onnx model run by onnxruntime-node (CPU) on X, through run_onnx.js."""
    assert NODE_MODULES and pathlib.Path(NODE_MODULES, "onnxruntime-node").is_dir(), \
        "onnxruntime-node is not installed (the ctest fixture formats.npm_install installs it: " \
        "ctest --test-dir build -L formats)"
    inputs, outputs = folder / "X.f32", folder / "Y.f32"
    np.ascontiguousarray(X, dtype="<f4").tofile(inputs)
    result = subprocess.run(["node", str(HERE / "run_onnx.js"), str(model_path), str(inputs), str(X.shape[1]),
                             str(outputs)], capture_output=True, text=True, timeout=300,
                            env=dict(os.environ, NODE_PATH=NODE_MODULES))
    assert result.returncode == 0, result.stdout + result.stderr
    described = json.loads(result.stdout)
    assert described["inputs"] == ["X"] and described["outputs"] == ["Y"]
    return np.fromfile(outputs, "<f4").reshape(described["shape"]).astype(np.float64)


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("opset", [13, 17])
def test_onnx_export_passes_the_checker_and_says_what_it_is(models, name, opset, tmp_path):
    out = tmp_path / f"{name}.onnx"
    described = run_json("export", "--model", models[name], "--out", out, "--opset", opset)
    assert described["format"] == "onnx" and described["opset"] == opset
    model = onnx.load(str(out))
    onnx.checker.check_model(model, full_check=True)  # full_check: shape inference too
    assert [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")] == [opset]
    graph = model.graph
    (x,) = graph.input
    (y,) = graph.output
    x_dims, y_dims = x.type.tensor_type.shape.dim, y.type.tensor_type.shape.dim
    assert x.name == "X" and x.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert x_dims[0].dim_param == "batch" and x_dims[1].dim_value == 400
    assert y.name == "Y" and y_dims[0].dim_param == "batch" and y_dims[1].dim_value == 10
    loaded = digitnet.load_model(str(models[name]))
    layers = len(loaded.thetas)
    hidden = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu"}[loaded.activation]
    last = "Softmax" if loaded.output == "softmax" else "Sigmoid"
    assert [n.op_type for n in graph.node] == ["Gemm", hidden] * (layers - 1) + ["Gemm", last]
    assert all(a.i == 1 for n in graph.node if n.op_type == "Gemm" for a in n.attribute if a.name == "transB")
    metadata = {p.key: p.value for p in model.metadata_props}
    assert metadata["digitnet_activation"] == loaded.activation
    assert metadata["digitnet_output"] == loaded.output
    assert metadata["digitnet_label_base"] == str(loaded.label_base)
    assert metadata["digitnet_image_rows"] == "20" and metadata["digitnet_image_order"] == "column-major"
    assert {"digitnet_background", "digitnet_ink", "digitnet_digit_box"} <= metadata.keys()


@pytest.mark.parametrize("name", MODELS)
def test_onnxruntime_gives_digitnets_outputs(models, data, name, tmp_path):
    _, test = data
    out = tmp_path / f"{name}.onnx"
    run("export", "--model", models[name], "--out", out)
    _, expected = digitnet_outputs(models[name], test["X"])
    got = onnxruntime_outputs(out, test["X"], tmp_path)
    assert got.shape == expected.shape == (5000, 10)
    assert np.abs(got - expected).max() < TOLERANCE
    assert np.array_equal(got.argmax(axis=1), expected.argmax(axis=1)), "a test example changed class"


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("extension", ["safetensors", "npz"])
def test_torch_and_numpy_run_the_exported_weights(models, data, name, extension, tmp_path):
    _, test = data
    X = test["X"]
    out = tmp_path / f"{name}.{extension}"
    run("export", "--model", models[name], "--out", out)  # float32, as PyTorch keeps weights
    tensors, metadata = read_safetensors(out) if extension == "safetensors" else read_npz(out)
    model, expected = digitnet_outputs(models[name], X)
    assert metadata["digitnet_activation"] == model.activation and metadata["digitnet_output"] == model.output
    assert all(t.dtype == np.float32 for t in tensors.values())

    network, last = torch_sequential(model.layer_sizes, model.activation, model.output)
    network.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in tensors.items()}, strict=True)
    with torch.no_grad():
        by_torch = last(network(torch.from_numpy(X.astype(np.float32)))).double().numpy()
    assert np.abs(by_torch - expected).max() < TOLERANCE
    by_numpy = numpy_forward(tensors, X, model.activation, model.output)
    assert np.abs(by_numpy - expected).max() < TOLERANCE


@pytest.mark.parametrize("extension", ["safetensors", "npz"])
def test_float64_keeps_the_weights_bit_for_bit(models, extension, tmp_path):
    import scipy.io

    out = tmp_path / f"relu.{extension}"
    run("export", "--model", models["relu_softmax_two_hidden"], "--out", out, "--dtype", "float64")
    tensors, _ = read_safetensors(out) if extension == "safetensors" else read_npz(out)
    mat = scipy.io.loadmat(str(models["relu_softmax_two_hidden"]))
    for layer in range(3):
        theta = mat[f"Theta{layer + 1}"]
        assert tensors[f"{2 * layer}.weight"].dtype == np.float64
        assert np.array_equal(tensors[f"{2 * layer}.weight"], theta[:, 1:])
        assert np.array_equal(tensors[f"{2 * layer}.bias"], theta[:, 0])
    back = tmp_path / "back.mat"
    run("export", "--model", out, "--out", back)
    for layer in range(3):
        assert np.array_equal(scipy.io.loadmat(str(back))[f"Theta{layer + 1}"], mat[f"Theta{layer + 1}"])


def test_torch_onnx_export_of_the_same_weights_agrees(models, data, tmp_path):
    _, test = data
    X = test["X"][:500]
    path = models["relu_softmax_two_hidden"]
    ours = tmp_path / "ours.onnx"
    run("export", "--model", path, "--out", ours, "--opset", "13")
    run("export", "--model", path, "--out", tmp_path / "m.safetensors")
    tensors, _ = read_safetensors(tmp_path / "m.safetensors")
    model = digitnet.load_model(str(path))
    network, last = torch_sequential(model.layer_sizes, model.activation, model.output)
    network.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in tensors.items()}, strict=True)
    whole = torch.nn.Sequential(network, last).eval()
    theirs = tmp_path / "torch.onnx"
    torch.onnx.export(whole, torch.zeros(1, 400), str(theirs), input_names=["X"], output_names=["Y"],
                      dynamic_axes={"X": {0: "batch"}, "Y": {0: "batch"}}, opset_version=13)
    onnx.checker.check_model(onnx.load(str(theirs)))
    by_ours, by_theirs = onnxruntime_outputs(ours, X, tmp_path), onnxruntime_outputs(theirs, X, tmp_path)
    assert np.abs(by_ours - by_theirs).max() < TOLERANCE
    _, expected = digitnet_outputs(path, X)
    assert np.abs(by_theirs - expected).max() < TOLERANCE


def test_a_network_trained_in_pytorch_predicts_and_trains_on_in_digitnet(data, tmp_path):
    train, test = data
    torch.manual_seed(0)
    network = torch.nn.Sequential(torch.nn.Linear(400, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    X = torch.from_numpy(train["X"].astype(np.float32))
    classes = torch.from_numpy(train["y"] - train["label_base"])  # PyTorch's classes 0..9 are labels 1..10
    optimizer = torch.optim.Adam(network.parameters(), lr=0.01)
    for _ in range(150):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(network(X), classes)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        predicted = network(torch.from_numpy(test["X"].astype(np.float32))).argmax(dim=1).numpy()
    torch_accuracy = float(np.mean(predicted == test["y"] - test["label_base"]))
    assert torch_accuracy > 0.85

    saved = tmp_path / "pytorch.npz"
    np.savez(saved, **{name: value.numpy() for name, value in network.state_dict().items()})  # no metadata
    assumptions = ["--activation", "relu", "--output", "softmax"]
    result = run_json("predict", "--model", saved, "--data", DATA, "--set", "test", "--device", "cpu", *assumptions)
    # The same network, in double instead of float32: at most an example or two at a near tie may differ.
    assert abs(result["accuracy"] - torch_accuracy) <= 2 / len(predicted), (result["accuracy"], torch_accuracy)

    # Without the assumptions the file is the seed's sigmoid network: it loads, and scores worse.
    as_sigmoid = run_json("predict", "--model", saved, "--data", DATA, "--set", "test", "--device", "cpu")
    assert as_sigmoid["accuracy"] < result["accuracy"]

    # train --init from it trains on: the cost (lambda 0) goes down from PyTorch's weights.
    before = run_json("cost", "--model", saved, "--data", DATA, "--lambda", "0", "--device", "cpu", *assumptions)
    trained = tmp_path / "trained.safetensors"
    run("train", "--init", saved, "--data", DATA, "--lambda", "0", "--iters", "30", "--alpha", "0.3",
        "--device", "cpu", "--quiet", "--save", trained, *assumptions)
    after = run_json("cost", "--model", trained, "--data", DATA, "--lambda", "0", "--device", "cpu")
    assert after["cost"] < before["cost"]
    _, metadata = read_safetensors(trained)  # what digitnet saves records what it is
    assert metadata["digitnet_activation"] == "relu" and metadata["digitnet_output"] == "softmax"

    # And the Python module reads it too, to PyTorch's outputs.
    model = digitnet.load_model(str(saved), activation="relu", output="softmax")
    with torch.no_grad():
        by_torch = torch.softmax(network(torch.from_numpy(test["X"].astype(np.float32))), dim=1).double().numpy()
    assert np.abs(model.outputs(test["X"], device="cpu", precision="double") - by_torch).max() < TOLERANCE


def test_python_saves_by_extension(models, tmp_path):
    model = digitnet.load_model(str(models["tanh"]))
    for name in ("m.safetensors", "m.npz", "m.mat"):
        model.save(str(tmp_path / name), dtype="float64")
        back = digitnet.load_model(str(tmp_path / name))
        assert back.activation == "tanh"
        assert all(np.array_equal(a, b) for a, b in zip(back.thetas, model.thetas))
    model.save(str(tmp_path / "m.onnx"))
    onnx.checker.check_model(onnx.load(str(tmp_path / "m.onnx")))


def test_damaged_files_are_one_line_exit_2(tmp_path):
    cases = {
        "short.safetensors": b"\x05\x00\x00",
        "past.safetensors": struct.pack("<Q", 1000) + b"{}",
        "json.safetensors": struct.pack("<Q", 5) + b"{nope",
        "junk.npz": b"not a zip file",
    }
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        result = run("predict", "--model", path, expect=2)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and str(path) in lines[0], result.stderr
    nan = tmp_path / "nan.npz"
    np.savez(nan, **{"0.weight": np.full((3, 400), np.nan, np.float32), "0.bias": np.zeros(3, np.float32),
                     "2.weight": np.zeros((10, 3), np.float32), "2.bias": np.zeros(10, np.float32)})
    assert "NaN" in run("export", "--model", nan, "--out", tmp_path / "x.onnx", expect=2).stderr
    assert not (tmp_path / "x.onnx").exists()


def test_the_page_offers_the_model_as_onnx(models, data, tmp_path):
    import sys
    import urllib.request

    sys.path.insert(0, str(SOURCE / "tests" / "serve"))
    from serve_process import ServeProcess

    page = None
    server = ServeProcess(BINARY, "--model", str(models["tanh"]))
    try:
        with urllib.request.urlopen(server.address + "/", timeout=60) as response:
            page = response.read().decode()
        with urllib.request.urlopen(server.address + "/api/model.onnx", timeout=60) as response:
            assert "digitnet-model.onnx" in response.headers["Content-Disposition"]
            (tmp_path / "page.onnx").write_bytes(response.read())
    finally:
        assert server.stop() == 0
    assert 'href="/api/model.onnx"' in page and "Download ONNX" in page
    onnx.checker.check_model(onnx.load(str(tmp_path / "page.onnx")))
    X = data[1]["X"][:200]
    _, expected = digitnet_outputs(models["tanh"], X)
    assert np.abs(onnxruntime_outputs(tmp_path / "page.onnx", X, tmp_path) - expected).max() < TOLERANCE
