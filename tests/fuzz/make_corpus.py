#!/usr/bin/python3
"""Makes the fuzzers' seed corpora in tests/fuzz/corpus/<target>/: small valid files and broken
ones (truncated, wrong shapes, wrong classes, bad values), a few KB each at most.

Run it with Debian's python3 (it needs numpy and scipy) from anywhere:
    /usr/bin/python3 tests/fuzz/make_corpus.py
It rewrites the files it makes and leaves any others (inputs libFuzzer added) alone. The v7.3
(HDF5) files come from make_mat73.c, compiled here against matio, since scipy writes only v5.
"""
import gzip
import io
import pathlib
import struct
import subprocess
import tempfile
import zlib

import numpy as np
import scipy.io

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE / "corpus"


def write(target, name, data):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def mat5(variables, compress=False):
    out = io.BytesIO()
    scipy.io.savemat(out, variables, do_compression=compress, format="5")
    return out.getvalue()


def big_endian(little):
    """A little-endian level 5 file of uncompressed int8/int32/uint32/double elements, byte-swapped
    element by element: what MATLAB writes on a big-endian machine (header "MI")."""
    u32 = lambda b, i: struct.unpack_from("<I", b, i)[0]
    out = bytearray(little[:124]) + little[124:126][::-1] + b"MI"
    position = 128
    while position < len(little):
        kind, size = u32(little, position), u32(little, position + 4)
        body, p = little[position + 8 : position + 8 + size], 0
        out += struct.pack(">II", kind, size)
        while p < len(body):
            word = u32(body, p)
            if word >> 16:  # small element: the tag word, then up to 4 bytes (names here)
                out += struct.pack(">I", word) + body[p + 4 : p + 8]
                p += 8
                continue
            n = u32(body, p + 4)
            fmt = {1: "b", 5: "i", 6: "I", 9: "d"}[word]
            values = struct.unpack("<%d%s" % (n // struct.calcsize(fmt), fmt), body[p + 8 : p + 8 + n])
            pad = (-n) % 8
            out += struct.pack(">II", word, n) + struct.pack(">%d%s" % (len(values), fmt), *values) + bytes(pad)
            p += 8 + n + pad
        position += 8 + size
    return bytes(out)


def mat_data_corpus():
    t = "fuzz_mat_data"
    X = np.array([[0, 0.5, 1], [0.25, 1, 0], [0.5, 0.75, 0.1], [0.2, 0.3, 0.4]])
    y = np.array([[1], [2], [1], [3]], dtype=float)
    theta1 = np.arange(8, dtype=float).reshape(2, 4) / 10 - 0.3  # 3 inputs -> 2 hidden
    theta2 = np.arange(9, dtype=float).reshape(3, 3) / 10 - 0.4  # 2 hidden -> 3 classes
    good = mat5({"X": X, "y": y})
    write(t, "data_v5.mat", good)
    write(t, "data_v5_big_endian.mat", big_endian(good))
    write(t, "data_v5_zlib_test.mat", mat5({"X": X, "y": y, "Xtest": X[:2], "ytest": y[:2]}, compress=True))
    write(t, "data_uint8.mat", mat5({"X": (X * 255).astype(np.uint8), "y": y.astype(np.uint8)}))
    write(t, "data_single_int16.mat", mat5({"X": X.astype(np.float32), "y": y.astype(np.int16)}))
    write(t, "weights_v5.mat", mat5({"Theta1": theta1, "Theta2": theta2}))
    write(t, "weights_v5_zlib.mat", mat5({"Theta1": theta1, "Theta2": theta2}, compress=True))
    # Broken in the ways a real file can be.
    write(t, "truncated_v5.mat", good[: len(good) // 2])
    write(t, "header_only.mat", good[:128])
    write(t, "bad_labels.mat", mat5({"X": X, "y": np.array([[0], [2.5], [np.nan], [-1]])}))
    write(t, "nan_in_X.mat", mat5({"X": np.where(X > 0.9, np.inf, X), "y": y}))
    write(t, "wrong_shapes.mat", mat5({"X": X, "y": np.ones((2, 2)), "Xtest": X[:, :2], "ytest": y[:1]}))
    write(t, "wrong_classes.mat", mat5({"X": np.array([["ab", "cd"]]), "y": {"a": 1}, "Theta1": np.array([[1, 2], "x"], dtype=object)}))
    write(t, "sparse_complex_3d.mat", mat5({"X": scipy.sparse.csc_matrix(X), "y": y * 1j, "Theta1": np.ones((2, 3, 2))}))
    write(t, "empty_X.mat", mat5({"X": np.zeros((0, 3)), "y": np.zeros((0, 1))}))
    write(t, "weights_not_chaining.mat", mat5({"Theta1": theta1, "Theta2": np.ones((2, 7)), "Theta3": np.ones((1, 1))}))
    write(t, "weights_nan.mat", mat5({"Theta1": np.full((1, 2), np.nan)}))
    # A model file as `train --save` writes it: the weights and the digitnet_* variables
    # (model_info.hpp), and the same with values those variables must not hold.
    info = {"digitnet_layout": np.array([[3.0, 2.0, 3.0]]), "digitnet_label_base": np.array([[0.0]]),
            "digitnet_image": np.array([[1.0, 3.0, 0.0]]), "digitnet_pixel_levels": np.array([[0.0, 1.0]])}
    write(t, "model_with_info.mat", mat5({"Theta1": theta1, "Theta2": theta2, **info}, compress=True))
    bad_info = {"digitnet_label_base": np.array([[np.nan]]), "digitnet_image": np.array([[1e300, -2e9, 1.0]]),
                "digitnet_pixel_levels": np.array([[np.inf, 1.0]])}
    write(t, "model_with_bad_info.mat", mat5({"Theta1": theta1, "Theta2": theta2, **bad_info}))
    # Every kind of variable a real file may hold beside X and y (cells, structs, nested, char,
    # sparse, logical, complex, N-D, long names), compressed and not, and a level 4 file: valid
    # files that must load, and the structures matio parses in every variable's header.
    cell = np.empty((1, 3), dtype=object)
    cell[0, 0], cell[0, 1], cell[0, 2] = np.ones((2, 2)), "text", {"f": np.arange(3.0)}
    structs = np.zeros((1, 2), dtype=[("alpha", object), ("a_longer_field_name", object)])
    structs[0, 0]["alpha"], structs[0, 1]["alpha"] = np.eye(2), "b"
    structs[0, 0]["a_longer_field_name"], structs[0, 1]["a_longer_field_name"] = {"deep": cell}, np.zeros((0, 2))
    others = {"X": X, "y": y, "cellvar": cell, "s": structs, "chars": np.array(["ab", "cd"]),
              "sp": scipy.sparse.csc_matrix(np.eye(3)), "logic": X > 0.5, "cplx": X[:2, :2] * (1 + 1j),
              "nd": np.ones((2, 1, 2)), "a_variable_name_longer_than_eight": np.int64(3)}
    write(t, "many_kinds_v5.mat", mat5(others))
    write(t, "many_kinds_v5_zlib.mat", mat5(others, compress=True))
    out = io.BytesIO()
    scipy.io.savemat(out, {"X": X, "y": y, "Theta1": theta1, "Theta2": theta2}, format="4")
    write(t, "data_and_weights_v4.mat", out.getvalue())
    with tempfile.TemporaryDirectory() as tmp:
        tool = pathlib.Path(tmp) / "make_mat73"
        subprocess.run(["cc", str(HERE / "make_mat73.c"), "-lmatio", "-o", str(tool)], check=True)
        data73, weights73 = pathlib.Path(tmp) / "d.mat", pathlib.Path(tmp) / "w.mat"
        subprocess.run([str(tool), str(data73), str(weights73)], check=True)
        d = data73.read_bytes()
        write("fuzz_mat73", "data_v73.mat", d)
        write("fuzz_mat73", "weights_v73.mat", weights73.read_bytes())
        write("fuzz_mat73", "truncated_v73.mat", d[:1200])


def idx_input(images, labels):
    """fuzz_idx's input: the images file's length (4 bytes, big-endian), the images, the labels."""
    return struct.pack(">I", len(images)) + images + labels


def idx_file(kind, dims, payload):
    return bytes([0, 0, kind, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + payload


def idx_corpus():
    t = "fuzz_idx"
    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 256, size=(3, 4, 5), dtype=np.uint8)
    images = idx_file(8, [3, 4, 5], pixels.tobytes())
    labels = idx_file(8, [3], bytes([7, 0, 9]))
    write(t, "valid_3x4x5.idx", idx_input(images, labels))
    write(t, "valid_gzip.idx", idx_input(gzip.compress(images, mtime=0), gzip.compress(labels, mtime=0)))
    write(t, "images_gzip_labels_plain.idx", idx_input(gzip.compress(images, mtime=0), labels))
    digit = np.zeros((28, 28), dtype=np.uint8)
    digit[6:22, 12:16] = 255
    write(t, "one_28x28_digit.idx", idx_input(idx_file(8, [1, 28, 28], digit.tobytes()), idx_file(8, [1], bytes([1]))))
    write(t, "truncated_pixels.idx", idx_input(images[:-7], labels))
    write(t, "trailing_bytes.idx", idx_input(images + b"\0\0", labels))
    write(t, "count_mismatch.idx", idx_input(images, idx_file(8, [2], bytes([1, 2]))))
    write(t, "float_type.idx", idx_input(idx_file(0x0D, [3, 4, 5], bytes(240)), labels))
    write(t, "two_dims.idx", idx_input(idx_file(8, [3, 20], pixels.tobytes()), labels))
    write(t, "huge_header.idx", idx_input(idx_file(8, [0x7FFFFFFF, 0xFFFF, 0xFFFF], b"\1" * 16), labels))
    write(t, "zero_images.idx", idx_input(idx_file(8, [0, 28, 28], b""), idx_file(8, [0], b"")))
    write(t, "labels_only.idx", idx_input(b"", labels))
    write(t, "label_255.idx", idx_input(images, idx_file(8, [3], bytes([255, 0, 1]))))
    write(t, "gzip_truncated.idx", idx_input(gzip.compress(images, mtime=0)[:30], labels))


def csv_corpus():
    t = "fuzz_csv"
    rows = ["%d,%s" % (i % 10, ",".join(str((i * 37 + j * 11) % 256) for j in range(16))) for i in range(6)]
    body = "\n".join(rows) + "\n"
    header = "label," + ",".join("pixel%d" % j for j in range(16)) + "\n"
    write(t, "valid_no_header.csv", body.encode())
    write(t, "valid_header.csv", (header + body).encode())
    write(t, "crlf_bom_quotes_blank.csv", ("\ufeff" + header.replace("label", '"label"') + "\r\n" + body.replace("\n", "\r\n")).encode("utf-8"))
    write(t, "spaces_and_plus.csv", b" 1 , +0 ,255, 3.0\n2,\t1,2 ,4e1\n")
    write(t, "gzip.csv", gzip.compress((header + body).encode(), mtime=0))
    write(t, "bad_pixel.csv", b"1,0,300\n2,0,-1\n")
    write(t, "bad_numbers.csv", b"1,nan,inf\n2,1e400,0x10\n3,abc,\n")
    write(t, "bad_label.csv", b"1000,0,0\n-1,0,0\n2.5,0,0\n")
    write(t, "ragged.csv", b"1,0,0,0\n2,0,0\n3,0,0,0,0\n")
    write(t, "one_column.csv", b"1\n2\n")
    write(t, "header_only.csv", header.encode())
    write(t, "empty.csv", b"")
    write(t, "whitespace_only.csv", b" \n\t\r\n")
    write(t, "square_4x4.csv", b"0," + b",".join(b"%d" % (j * 16) for j in range(16)) + b"\n")
    write(t, "long_field.csv", b"1," + b"9" * 400 + b",0\n")
    write(t, "gzip_truncated.csv", gzip.compress(body.encode(), mtime=0)[:25])


def png_bytes(image, **options):
    out = io.BytesIO()
    image.save(out, format="PNG", **options)
    return out.getvalue()


def png_corpus():
    from PIL import Image

    t = "fuzz_png"
    digit = np.zeros((20, 20), dtype=np.uint8)
    digit[3:17, 8:12] = 255
    grey = Image.fromarray(digit, "L")
    write(t, "grey_20x20.png", png_bytes(grey))
    write(t, "dark_on_white_28x28.png", png_bytes(Image.fromarray(255 - np.kron(digit, np.ones((2, 2), np.uint8))[:28, :28], "L")))
    write(t, "rgb_interlaced.png", png_bytes(Image.merge("RGB", [grey, grey, grey]), interlace=1))
    rgba = np.zeros((12, 9, 4), dtype=np.uint8)
    rgba[..., 3] = 0
    rgba[2:10, 3:6] = (10, 10, 10, 255)
    write(t, "rgba_transparent_canvas.png", png_bytes(Image.fromarray(rgba, "RGBA")))
    write(t, "grey16.png", png_bytes(Image.fromarray(digit.astype(np.uint16) * 257, "I;16")))
    write(t, "palette.png", png_bytes(grey.convert("P")))
    write(t, "one_bit.png", png_bytes(grey.convert("1")))
    write(t, "one_pixel.png", png_bytes(Image.new("L", (1, 1), 128)))
    write(t, "wide_300x2.png", png_bytes(Image.new("L", (300, 2), 0)))
    good = png_bytes(grey)
    write(t, "truncated.png", good[: len(good) // 2])
    broken_crc = bytearray(good)
    broken_crc[29] ^= 0xFF  # inside the IHDR chunk's CRC
    write(t, "bad_crc.png", bytes(broken_crc))
    # An IHDR that claims 16384 x 16384 (the reader's limit) and 20000 x 1, with a tiny IDAT.
    for name, (w, h) in (("claims_16384x16384.png", (16384, 16384)), ("claims_20000x1.png", (20000, 1))):
        ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
        idat = zlib.compress(b"\0" * 64)
        chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        write(t, name, b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    write(t, "not_png.png", b"GIF89a not a png at all")


def safetensors_bytes(tensors, metadata=None, dtype="F32"):
    """A .safetensors file by its spec: header length, JSON header, little-endian tensors."""
    import json

    header, data = {}, b""
    for name, array in tensors.items():
        raw = np.ascontiguousarray(array, dtype="<f4" if dtype == "F32" else "<f8").tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def small_state_dict(sizes=(4, 3, 2), seed=5):
    rng = np.random.default_rng(seed)
    tensors = {}
    for layer, (inputs, outputs) in enumerate(zip(sizes, sizes[1:])):
        tensors[f"{2 * layer}.weight"] = rng.uniform(-1, 1, (outputs, inputs))
        tensors[f"{2 * layer}.bias"] = rng.uniform(-1, 1, outputs)
    return tensors


DIGITNET_METADATA = {
    "digitnet_layout": "4,3,2", "digitnet_activation": "relu", "digitnet_output": "softmax",
    "digitnet_label_base": "0", "digitnet_image_rows": "2", "digitnet_image_cols": "2",
    "digitnet_image_order": "row-major", "digitnet_background": "0", "digitnet_ink": "1",
    "digitnet_digit_box": "1.5", "digitnet_centre_row": "1", "digitnet_centre_col": "1",
}


def safetensors_corpus():
    tensors = small_state_dict()
    write("fuzz_safetensors", "plain_f32.safetensors", safetensors_bytes(tensors, {"format": "pt"}))
    write("fuzz_safetensors", "digitnet_f64.safetensors", safetensors_bytes(tensors, DIGITNET_METADATA, "F64"))
    whole = safetensors_bytes(small_state_dict((6, 5, 4, 3)), dict(DIGITNET_METADATA, digitnet_layout="6,5,4,3",
                              digitnet_image_rows="2", digitnet_image_cols="3"))
    write("fuzz_safetensors", "three_layers.safetensors", whole)
    write("fuzz_safetensors", "truncated.safetensors", whole[: len(whole) - 7])
    bad = dict(tensors)
    bad["0.weight"] = bad["0.weight"].copy()
    bad["0.weight"][1, 1] = np.nan
    write("fuzz_safetensors", "nan.safetensors", safetensors_bytes(bad))
    missing = dict(tensors)
    del missing["2.bias"]
    write("fuzz_safetensors", "missing_bias.safetensors", safetensors_bytes(missing))


def npz_bytes(arrays, compressed=False):
    out = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(out, **arrays)
    return out.getvalue()


def npz_corpus():
    import json

    tensors = {name: value.astype(np.float32) for name, value in small_state_dict().items()}
    write("fuzz_npz", "plain_stored.npz", npz_bytes(tensors))
    write("fuzz_npz", "digitnet_deflated.npz",
          npz_bytes(dict(tensors, digitnet_metadata=json.dumps(DIGITNET_METADATA)), compressed=True))
    fortran = {name: np.asfortranarray(value.astype(">f8")) for name, value in small_state_dict((6, 5, 4, 3)).items()}
    whole = npz_bytes(fortran)
    write("fuzz_npz", "fortran_big_endian.npz", whole)
    write("fuzz_npz", "truncated.npz", whole[: len(whole) // 2])
    write("fuzz_npz", "int_dtype.npz", npz_bytes(dict(tensors, **{"0.bias": np.arange(3, dtype=np.int32)})))


if __name__ == "__main__":
    mat_data_corpus()
    idx_corpus()
    csv_corpus()
    png_corpus()
    safetensors_corpus()
    npz_corpus()
