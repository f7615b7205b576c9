"""Load a numpycam model file (the format: :mod:`numpycam.files.rules`), refusing any bad file.

    model = numpycam.load("model.npz")       # written by numpycam.save(model, "model.npz")

The archive is read with ``zipfile``: the JSON header first, then each array's ``.npy`` header
(no object arrays; the shape and dtype the JSON header implies), then its data. Nothing is
unpickled, so loading a file never runs code from it.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from pathlib import Path

import numpy as np

from numpycam.files.rules import (
    FORMAT,
    HEADER,
    MAX_HEADER_CHARS,
    MAX_LAYERS,
    MAX_PARAMS,
    VERSION,
    check_array,
    check_header,
)
from numpycam.nn.blocks import layer_from_spec
from numpycam.nn.sequential import Sequential


def _bad(path, why: str) -> ValueError:
    if _looks_like_pytorch(Path(path)):
        return ValueError(
            f"{path} is not a numpycam model file: it looks like a PyTorch file (torch.save), and "
            "numpycam.load reads only the .npz files numpycam.save writes. Read a legacy PyTorch state "
            "dict with numpycam.imagenet.pth.read_pth(path) (a dict of name -> NumPy array, read "
            "without PyTorch and without running the file), copy the arrays into a numpycam model and "
            "save that with numpycam.save(model, 'model.npz'); the EfficientNet-Lite0 weights come "
            "ready with numpycam.pretrained('efficientnet_lite0').")
    return ValueError(f"{path} is not a numpycam model file: {why}. Write one with numpycam.save(model, path).")


_TORCH_MAGIC = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19"  # a legacy .pth starts with this pickle


def _looks_like_pytorch(path: Path) -> bool:
    """A .pth/.pt name, a legacy .pth's first pickle, or a zip archive with torch's data.pkl."""
    if path.suffix.lower() in (".pth", ".pt"):
        return True
    try:
        with open(path, "rb") as fh:
            if fh.read(len(_TORCH_MAGIC)) == _TORCH_MAGIC:
                return True
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                return any(n == "data.pkl" or n.endswith("/data.pkl") for n in zf.namelist()[:100])
    except (OSError, zipfile.BadZipFile, ValueError):
        pass
    return False


def _what_it_is(path: Path) -> str:
    """Why a file that is not a zip archive cannot be a model file, from its first bytes."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"\x93NUMPY"):
        return "it holds one bare array (an .npy file), not an .npz archive"
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return ("it holds pickled Python objects, which numpycam never loads (unpickling can run "
                "code)")
    return "it cannot be read as an .npz (zip) archive: it is plain text, truncated or another format"


def _npy_header(fh):
    """(shape, dtype, header_bytes) from the start of an .npy stream, before its data."""
    version = np.lib.format.read_magic(fh)
    reader = (np.lib.format.read_array_header_1_0 if version == (1, 0)
              else np.lib.format.read_array_header_2_0)
    shape, fortran, dtype = reader(fh, max_header_size=10_000)
    if dtype.hasobject:
        raise ValueError("it holds pickled Python objects, which numpycam never loads "
                         "(unpickling can run code)")
    if fortran:
        raise ValueError("it stores an array in Fortran order, which numpycam never writes")
    return shape, dtype, fh.tell() if fh.seekable() else None


def _read(zf: zipfile.ZipFile, info: zipfile.ZipInfo, shape, dtype) -> np.ndarray:
    """Read the data of one array whose header was checked; at most its declared size."""
    with zf.open(info) as fh:
        _npy_header(fh)
        count = int(np.prod(shape, dtype=np.int64))
        data = fh.read(count * dtype.itemsize)
    if len(data) != count * dtype.itemsize:
        raise ValueError(f"{info.filename} is shorter than its header says")
    return np.frombuffer(data, dtype=dtype).reshape(shape).copy()


def load(path, *, max_params: int | None = None) -> Sequential:
    """Read a model written by :func:`numpycam.save`; every kind of bad file raises a clear ValueError.

    A file from someone else is checked before anything big is allocated: the JSON header
    (types, counts, nesting, names, at most ``max_params`` numbers, default
    ``numpycam.files.rules.MAX_PARAMS`` = 50 million), then each array's shape and dtype from its
    ``.npy`` header inside the zip, then its data (at most its declared size). So a hostile
    file costs about its declared parameters, never more than the cap, in memory and time.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    if not zipfile.is_zipfile(path):
        raise _bad(path, _what_it_is(path))
    try:
        with zipfile.ZipFile(path) as zf:
            return _load_zip(zf, path, MAX_PARAMS if max_params is None else max_params)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
            RecursionError, KeyError, TypeError) as err:
        raise _bad(path, f"it cannot be read as an .npz archive ({type(err).__name__}: {err})") from None
    except ValueError as err:
        if str(err).startswith(str(path)):
            raise
        raise _bad(path, str(err)) from None


def _load_zip(zf: zipfile.ZipFile, path: Path, max_params: int) -> Sequential:
    infos = zf.infolist()
    if len(infos) > 4 * MAX_LAYERS + 1:
        raise ValueError(f"it holds {len(infos)} entries, more than any model has")
    entries = {info.filename.removesuffix(".npy"): info for info in infos}
    if HEADER not in entries:
        raise ValueError(f"it has no {HEADER!r} header")
    info = entries.pop(HEADER)
    with zf.open(info) as fh:
        shape, dtype, _ = _npy_header(fh)
        if shape != () or dtype.kind != "U" or dtype.itemsize > 4 * MAX_HEADER_CHARS:
            raise ValueError(f"its header is {dtype} {shape}, not one string of at most "
                             f"{MAX_HEADER_CHARS:,} characters")
    text = str(_read(zf, info, shape, dtype)[()])
    try:
        header = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"its header is not valid JSON ({err})") from None
    except RecursionError:
        raise ValueError("its header is nested too deeply") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError("its header does not name the numpycam model format")
    version = header.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"its format version {version!r} is not a positive integer")
    if version > VERSION:
        raise ValueError(f"{path} uses model format version {version}, but this numpycam reads "
                         f"versions up to {VERSION}; upgrade numpycam to load it")
    training = header.get("training", True)
    if not isinstance(training, bool):
        raise ValueError(f"its 'training' flag {training!r} is not true or false")
    plan = check_header(header, max_params)  # nothing allocated yet
    if set(plan) != set(entries):
        raise ValueError(f"its arrays do not match its architecture (missing "
                         f"{sorted(set(plan) - set(entries))[:5]}, unexpected "
                         f"{sorted(set(entries) - set(plan))[:5]})")
    declared = {}
    for key, info in entries.items():
        with zf.open(info) as fh:
            shape, dtype, _ = _npy_header(fh)
        check_array(key, shape, dtype, plan)
        declared[key] = (shape, dtype)
    model = Sequential([layer_from_spec(spec) for spec in header["layers"]])
    layers = dict(model._walk(False))
    for key, info in entries.items():
        arr = _read(zf, info, *declared[key])
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{key} contains NaN or infinite values")
        layer_path, _, p = key.rpartition("/")  # e.g. block3/expand_conv + W
        setattr(layers[layer_path], p, arr)
    return model.train(training)
