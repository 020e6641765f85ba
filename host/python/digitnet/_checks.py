"""Checks of the plain arguments (numbers, names, choices), each naming the argument.

Arrays are checked by the compiled module (digitnet._core), which also converts them.
"""
import operator

from ._core import ACTIVATIONS, OUTPUTS  # noqa: F401 (the core's names, activation.hpp)

DEVICES = ("auto", "cpu", "gpu")
PRECISIONS = ("float", "double", "tf32", "bf16")
from ._core import OPTIMIZERS  # noqa: F401,E402 (the run layer's names, run/settings.hpp)


INT_MAX = 2**31 - 1


def integer(value, name, minimum=None, maximum=INT_MAX):
    """value as an int (Python or numpy integers; not bool, not float) that the core's int holds."""
    if isinstance(value, bool):
        raise TypeError(f"{name}: expected an integer, got bool")
    try:
        number = operator.index(value)
    except TypeError:
        raise TypeError(f"{name}: expected an integer, got {type(value).__name__}") from None
    if minimum is not None and number < minimum:
        raise ValueError(f"{name}: must be at least {minimum}, got {number}")
    if maximum is not None and number > maximum:
        raise ValueError(f"{name}: must be at most {maximum} (2**31 - 1), got {number}")
    if number < -INT_MAX - 1:
        raise ValueError(f"{name}: must be at least {-INT_MAX - 1} (-2**31), got {number}")
    return number


def real(value, name, positive=False, non_negative=False):
    """value as a finite float."""
    if isinstance(value, bool) or not hasattr(value, "__float__"):
        raise TypeError(f"{name}: expected a number, got {type(value).__name__}")
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"{name}: must be a finite number, got {number}")
    if positive and not number > 0:
        raise ValueError(f"{name}: must be positive, got {number:g}")
    if non_negative and not number >= 0:
        raise ValueError(f"{name}: must be zero or positive, got {number:g}")
    return number


def choice(value, name, choices):
    """value, one of the strings in choices."""
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected one of {', '.join(choices)} (a string), got {type(value).__name__}")
    if value not in choices:
        raise ValueError(f"{name}: expected one of {', '.join(choices)}, got {value!r}")
    return value


def path(value, name):
    """A file name (str or os.PathLike) as str."""
    import os

    try:
        text = os.fspath(value)
    except TypeError:
        raise TypeError(f"{name}: expected a file name, got {type(value).__name__}") from None
    if not isinstance(text, str):
        text = os.fsdecode(text)
    return text


def seed(value, name="seed"):
    number = integer(value, name, minimum=0, maximum=None)
    if number >= 2**64:
        raise ValueError(f"{name}: must be below 2**64, got {number}")
    return number


def image(value, name="image"):
    """(rows, cols, "F" | "C") or None."""
    if value is None:
        return None
    if not isinstance(value, (tuple, list)) or len(value) != 3:
        raise TypeError(f"{name}: expected (rows, cols, order) with order 'F' or 'C', got {value!r}")
    rows, cols, order = value
    return (integer(rows, f"{name}[0]", 1), integer(cols, f"{name}[1]", 1), choice(order, f"{name}[2]", ("F", "C")))
