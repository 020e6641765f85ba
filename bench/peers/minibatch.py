"""The mini-batch race of bench_peers (--minibatch): issue 21's table.

One epoch of Adam (lr 1e-3, betas 0.9/0.999, eps 1e-8) over Fashion-MNIST's 60000 training
examples (/usr/share/datasets/fashion-mnist, pixels / 255), ReLU hidden layer, softmax output and
cross-entropy, L2 1e-4 (digitnet --lambda 1e-4 is scikit-learn's alpha 1e-4: both add
alpha / (2 m) |W|^2, the biases left out; PyTorch gets no L2: its weight_decay is not the same
term), float32, 2 threads, on each configuration:

  digitnet      `digitnet train --device cpu --optimizer adam --epochs 1 ...` with OMP_NUM_THREADS=2;
                its own "seconds" (the training loop alone: the data is loaded before)
  scikit-learn  MLPClassifier(solver="adam", max_iter=1) fit on float32 X, BLAS limited to 2
                threads (threadpoolctl); the wall time of fit()
  PyTorch       nn.Sequential(Linear, ReLU, Linear) + CrossEntropyLoss + optim.Adam,
                torch.set_num_threads(2), batches taken by index_select from a random permutation;
                the wall time of the epoch's loop
  GEMMs alone   the epoch's five GEMMs per batch (two forward, two weight gradients, one delta)
                as float32 numpy matmuls into preallocated outputs (OpenBLAS sgemm, 2 threads):
                the floor no trainer can beat with these GEMMs

Each is run `repeats` times; the best is kept (the machine is shared). GFLOP/s counts the epoch's
GEMM flops (the same for all); the ratios are the peer's time over digitnet's.
"""

import gzip
import json
import os
import subprocess
import time
import warnings

import numpy as np

FASHION = "/usr/share/datasets/fashion-mnist"
CONFIGS = [(128, 128), (512, 256)]  # hidden units, batch
LR, L2, THREADS = 1e-3, 1e-4, 2


def load_fashion(folder=FASHION):
    def idx(name):
        with gzip.open(os.path.join(folder, name), "rb") as f:
            data = f.read()
        dims = data[3]
        shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
        return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)

    X = idx("train-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / np.float32(255)
    y = idx("train-labels-idx1-ubyte.gz").astype(np.int64)
    Xt = idx("t10k-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / np.float32(255)
    yt = idx("t10k-labels-idx1-ubyte.gz").astype(np.int64)
    return X, y, Xt, yt


def epoch_flops(m, hidden, batch, inputs=784, classes=10):
    """The GEMM flops of one epoch: forward (with the bias columns), the weight gradients, and the
    hidden layer's delta (the inputs need none)."""
    del batch  # the total does not depend on how the epoch is cut
    forward = 2 * m * (hidden * (inputs + 1) + classes * (hidden + 1))
    return 2 * forward + 2 * m * classes * hidden


def digitnet_epoch(binary, hidden, batch):
    cmd = [binary, "train", "--device", "cpu", "--data", FASHION, "--activation", "relu", "--output", "softmax",
           "--optimizer", "adam", "--hidden", str(hidden), "--epochs", "1", "--batch", str(batch), "--lr", str(LR),
           "--lambda", str(L2), "--json"]
    env = dict(os.environ, OMP_NUM_THREADS=str(THREADS))
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
    result = json.loads(out)
    return result["seconds"], result.get("test_accuracy")


def sklearn_epoch(data, hidden, batch):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    from threadpoolctl import threadpool_limits

    X, y, Xt, yt = data
    model = MLPClassifier(hidden_layer_sizes=(hidden,), activation="relu", solver="adam", alpha=L2,
                          batch_size=batch, learning_rate_init=LR, max_iter=1, shuffle=True, random_state=1)
    with threadpool_limits(limits=THREADS), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - start
        accuracy = float((model.predict(Xt) == yt).mean())
    return seconds, accuracy, str(model.coefs_[0].dtype)


def torch_epoch(data, hidden, batch):
    import torch

    torch.set_num_threads(THREADS)
    torch.manual_seed(1)
    X, y, Xt, yt = (torch.from_numpy(a) for a in data)
    model = torch.nn.Sequential(torch.nn.Linear(784, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10))
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    m = X.shape[0]
    start = time.perf_counter()
    order = torch.randperm(m)
    for first in range(0, m, batch):
        rows = order[first:first + batch]
        xb, yb = X.index_select(0, rows), y.index_select(0, rows)
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        accuracy = float((model(Xt).argmax(1) == yt).float().mean())
    return seconds, accuracy


def gemm_floor(data, hidden, batch):
    from threadpoolctl import threadpool_limits

    X = data[0]
    m, n = X.shape
    rng = np.random.default_rng(1)
    W1 = rng.standard_normal((n, hidden), dtype=np.float32) * 0.05
    W2 = rng.standard_normal((hidden, 10), dtype=np.float32) * 0.05
    order = rng.permutation(m)
    Xb = np.empty((batch, n), np.float32)
    H = np.empty((batch, hidden), np.float32)
    Z = np.empty((batch, 10), np.float32)
    D1 = np.empty((batch, hidden), np.float32)
    G1 = np.empty((n, hidden), np.float32)
    G2 = np.empty((hidden, 10), np.float32)
    # The batches are gathered before the clock starts: this is the GEMMs alone.
    batches = [np.ascontiguousarray(X[order[i:i + batch]]) for i in range(0, m, batch)]
    with threadpool_limits(limits=THREADS):
        start = time.perf_counter()
        for xb in batches:
            b = xb.shape[0]
            h, z, d1 = H[:b], Z[:b], D1[:b]
            np.matmul(xb, W1, out=h)
            np.matmul(h, W2, out=z)
            np.matmul(h.T, z, out=G2)
            np.matmul(z, W2.T, out=d1)
            np.matmul(xb.T, d1, out=G1)
        seconds = time.perf_counter() - start
    del Xb
    return seconds


def best(runs, key=lambda r: r[0]):
    return min(runs, key=key)


def run(binary, repeats=2):
    if not os.path.exists(os.path.join(FASHION, "train-images-idx3-ubyte.gz")):
        print(f"minibatch race: {FASHION} not found (apt-get install dataset-fashion-mnist): skipped")
        return None
    data = load_fashion()
    m = data[0].shape[0]
    rows = []
    for hidden, batch in CONFIGS:
        flops = epoch_flops(m, hidden, batch)
        row = {"network": f"784-{hidden}-10", "batch": batch, "gemm_flops": flops}
        dn = best([digitnet_epoch(binary, hidden, batch) for _ in range(repeats)])
        row["digitnet"] = {"seconds": dn[0], "test_accuracy": dn[1]}
        try:
            sk = best([sklearn_epoch(data, hidden, batch) for _ in range(repeats)])
            row["sklearn"] = {"seconds": sk[0], "test_accuracy": sk[1], "dtype": sk[2]}
        except ImportError as e:
            row["sklearn"] = {"skipped": f"scikit-learn not installed ({e}): apt-get install python3-sklearn"}
        try:
            pt = best([torch_epoch(data, hidden, batch) for _ in range(repeats)])
            row["torch"] = {"seconds": pt[0], "test_accuracy": pt[1]}
        except ImportError as e:
            row["torch"] = {"skipped": f"PyTorch not installed ({e}): apt-get install python3-torch"}
        row["gemms_alone"] = {"seconds": min(gemm_floor(data, hidden, batch) for _ in range(repeats))}
        rows.append(row)
    print_table(rows)
    return rows


def print_table(rows):
    print("Mini-batch race: one epoch of Adam on Fashion-MNIST (60000 examples), relu + softmax, float32, "
          f"{THREADS} threads, best of the runs")
    header = ["network, batch", "digitnet", "scikit-learn", "PyTorch", "GEMMs alone", "sklearn/digitnet",
              "torch/digitnet", "digitnet/GEMMs"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        dn = row["digitnet"]["seconds"]

        def cell(name):
            r = row[name]
            if "seconds" not in r:
                return "skipped"
            acc = r.get("test_accuracy")
            gflops = row["gemm_flops"] / r["seconds"] / 1e9
            return f"{r['seconds']:.3f} s ({gflops:.0f} GFLOP/s" + (f", {100 * acc:.2f}%)" if acc else ")")

        def ratio(name):
            r = row[name]
            return f"{r['seconds'] / dn:.2f}x" if "seconds" in r else "-"

        floor = row["gemms_alone"]["seconds"]
        print(f"| {row['network']}, {row['batch']} | {cell('digitnet')} | {cell('sklearn')} | {cell('torch')} | "
              f"{cell('gemms_alone')} | {ratio('sklearn')} | {ratio('torch')} | {dn / floor:.2f}x |")
