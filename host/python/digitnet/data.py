"""Data sets from files, as numpy arrays."""
import os
from dataclasses import dataclass
from typing import Optional

import numpy as np

from . import _checks, _core


@dataclass
class DataSet:
    """A data file's examples as numpy arrays.

    X: (m, n) float64, one example a row. y: (m,) int64 labels as the file writes them:
    label_base 1 for ex4 .mat files (labels 1..10, 10 for the digit 0), 0 for IDX and CSV files
    (the digits 0..9). X_test, y_test: the file's held-out set (Xtest/ytest of a .mat file,
    t10k-* IDX files, or the test_path file), or None. image: (rows, cols, order) when a row of X
    is a picture, order "F" (column-major, MATLAB's: pixel (r, c) is X[i, c*rows + r]) or "C".
    """

    X: np.ndarray
    y: np.ndarray
    X_test: Optional[np.ndarray]
    y_test: Optional[np.ndarray]
    classes: int
    label_base: int
    image: Optional[tuple]
    source: str

    def images(self, X=None):
        """The rows of X (default self.X) as an (m, rows, cols) array of pictures (a view)."""
        if self.image is None:
            raise ValueError(f"{self.source}: its examples are not square images")
        X = self.X if X is None else np.asarray(X)
        rows, cols, order = self.image
        if order == "F":
            return X.reshape(-1, cols, rows).transpose(0, 2, 1)
        return X.reshape(-1, rows, cols)


def default_data_path():
    """The embedded data set data/digits20.mat: inside the installed package, or in the source tree."""
    packaged = os.path.join(os.path.dirname(__file__), "data", "digits20.mat")
    return packaged if os.path.exists(packaged) else _core.source_data_path


def load_data(path=None, test_path=None):
    """Loads a data set from any supported file, told apart by content: a MATLAB .mat file (X, y,
    optionally Xtest, ytest), MNIST-style IDX files (or a folder of them), or CSV (label first).
    Default: the embedded data/digits20.mat (5000 train and 5000 test digits, ex4 layout).
    test_path: take the test set from this file instead (it must fit the training set).
    Raises ValueError with the file's name and the problem when it cannot be read."""
    path = default_data_path() if path is None else _checks.path(path, "path")
    test_path = "" if test_path is None else _checks.path(test_path, "test_path")
    loaded = _core.load_data(path, test_path)
    train, test = loaded["train"], loaded["test"]
    return DataSet(X=train["X"], y=train["y"], X_test=None if test is None else test["X"],
                   y_test=None if test is None else test["y"], classes=train["classes"],
                   label_base=train["label_base"], image=train["image"], source=train["source"])
