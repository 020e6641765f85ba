"""digitnet: the seed article's neural network (400-25-10 sigmoid, regularised cost,
backpropagation, gradient descent on 20x20 digits) on digitnet's C++/CUDA backends, from numpy.

    import digitnet as dn
    data = dn.load_data()                                  # X (5000, 400), y (5000,) labels 1..10
    model = dn.train(data.X, data.y, hidden=[25], iterations=800, alpha=0.8, lambda_=1.0)
    model.accuracy(data.X, data.y)                         # about 0.95

Arrays: X may be float32 or float64, C- or F-contiguous (read in place), or anything numpy
converts (other dtypes, strided views: converted to a float64 copy first). Errors in the inputs
raise ValueError or TypeError naming the argument; a file's problem raises ValueError with the
command line's one-line message.
"""
from . import _core
from ._core import DeviceError, TrainingDiverged, UnavailableError
from .data import DataSet, load_data
from .functions import cost_and_gradient, gradcheck, random_initialization, train
from .model import Model, load_model

__version__ = _core.__version__


def info():
    """{"version", "cuda_compiled", "gpu": {"name", "compute_capability", ...} or None, "blas"}."""
    return _core.info()


__all__ = ["DataSet", "DeviceError", "Model", "TrainingDiverged", "UnavailableError", "cost_and_gradient",
           "gradcheck", "info", "load_data", "load_model", "random_initialization", "train"]
