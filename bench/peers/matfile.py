""".mat files: scipy when it is there; otherwise just enough of MATLAB's v5 format for
digits20.mat (compressed numeric matrices) and a weights file (uncompressed double matrices)."""

import struct
import zlib

import numpy as np

try:
    import scipy
    import scipy.io
except ImportError:
    scipy = None

_MI_TYPES = {1: "i1", 2: "u1", 3: "i2", 4: "u2", 5: "i4", 6: "u4", 7: "f4", 9: "f8", 12: "i8", 13: "u8"}


def _mat_elements(buffer):
    """(type, payload) of each data element in a little-endian v5 byte string."""
    offset = 0
    while offset + 8 <= len(buffer):
        kind, size = struct.unpack_from("<II", buffer, offset)
        if kind >> 16:  # small data element: size and type in one word, data in the next four bytes
            kind, size = kind & 0xFFFF, kind >> 16
            yield kind, buffer[offset + 4:offset + 4 + size]
            offset += 8
        else:
            yield kind, buffer[offset + 8:offset + 8 + size]
            offset += 8 + size + (0 if kind == 15 else -size % 8)  # miCOMPRESSED is not padded


def _mat_matrix(payload):
    """(name, array) of a miMATRIX element holding a real numeric matrix."""
    parts = list(_mat_elements(payload))
    dims = np.frombuffer(parts[1][1], dtype="<i4")
    name = bytes(parts[2][1]).decode("ascii")
    kind, data = parts[3]
    if kind not in _MI_TYPES:
        raise ValueError(f"variable {name}: unsupported data type {kind}")
    values = np.frombuffer(data, dtype="<" + _MI_TYPES[kind]).astype(np.float64)
    return name, values.reshape(tuple(dims), order="F")


def load_mat(path):
    if scipy is not None:
        return scipy.io.loadmat(path)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[126:128] != b"IM":
        raise SystemExit(f"bench_peers: {path}: not a little-endian MATLAB v5 file (scipy is not installed)")
    out = {}
    for kind, payload in _mat_elements(raw[128:]):
        if kind == 15:  # miCOMPRESSED: one zlib stream holding one element
            kind, payload = next(_mat_elements(zlib.decompress(payload)))
        if kind == 14:  # miMATRIX
            name, value = _mat_matrix(payload)
            out[name] = value
    return out


def save_mat(path, variables):
    """Real double matrices, uncompressed v5: what `digitnet train --init` reads."""
    if scipy is not None:
        scipy.io.savemat(path, variables)
        return

    def element(kind, data):
        return struct.pack("<II", kind, len(data)) + data + b"\0" * (-len(data) % 8)

    header = b"MATLAB 5.0 MAT-file, written by digitnet scripts/bench_peers".ljust(116) + b"\0" * 8
    body = b""
    for name, value in variables.items():
        value = np.asarray(value, dtype=np.float64)
        matrix = (element(6, struct.pack("<II", 6, 0))  # flags: mxDOUBLE_CLASS
                  + element(5, struct.pack("<ii", *value.shape))
                  + element(1, name.encode("ascii"))
                  + element(9, value.astype("<f8").tobytes(order="F")))
        body += element(14, matrix)
    with open(path, "wb") as f:
        f.write(header + struct.pack("<H", 0x0100) + b"IM" + body)
