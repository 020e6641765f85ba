"""Shared fixtures of the Python module's tests. ctest runs them with PYTHONPATH=build/python and
DIGITNET_BINARY=build/digitnet (tests/CMakeLists.txt); by hand:
    PYTHONPATH=build/python DIGITNET_BINARY=build/digitnet python3 -m pytest tests/python
"""
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

import digitnet as dn

SOURCE = Path(__file__).resolve().parents[2]
# ../shared/data beside the repository (ex4weights.mat), or $DIGITNET_SHARED_DIR/data.
SHARED_DATA = Path(os.environ.get("DIGITNET_SHARED_DIR", SOURCE.parent / "shared")) / "data"


@pytest.fixture(scope="session")
def cli():
    """run(*args) -> CompletedProcess of the command line program, text output."""
    binary = os.environ.get("DIGITNET_BINARY", str(SOURCE / "build" / "digitnet"))
    if not Path(binary).exists():
        pytest.skip(f"no digitnet program at {binary}")

    def run(*args, check=True):
        done = subprocess.run([binary, *map(str, args)], capture_output=True, text=True)
        if check and done.returncode != 0:
            raise AssertionError(f"digitnet {' '.join(map(str, args))} exited {done.returncode}: {done.stderr}")
        return done

    return run


@pytest.fixture(scope="session")
def cli_json(cli):
    """run(*args) -> the JSON object the command line prints with --json."""
    return lambda *args: json.loads(cli(*args, "--json").stdout)


@pytest.fixture(scope="session")
def digits():
    """The embedded data set (5000 train, 5000 test examples, ex4 layout)."""
    return dn.load_data()


@pytest.fixture(scope="session")
def data_path():
    return str(SOURCE / "data" / "digits20.mat")


@pytest.fixture(scope="session")
def ex4weights():
    path = SHARED_DATA / "ex4weights.mat"
    if not path.exists():
        pytest.skip(f"{path} is not there")
    return str(path)


def has_gpu():
    return dn.info()["gpu"] is not None


def relative(a, b):
    """|a - b| / |b| for numbers, norm(a - b) / norm(b) for arrays."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))
