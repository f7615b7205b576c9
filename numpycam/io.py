"""Save and load a model as one ``.npz``: a JSON header plus one array per parameter.

The header is stored as a plain unicode array under ``__numpycam__``; nothing is pickled, and
``load`` opens files with ``allow_pickle=False``, so loading a file never runs code from it.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np

from numpycam.blocks import layer_from_spec, layer_spec
from numpycam.model import Sequential

FORMAT = "numpycam-model"
VERSION = 1
HEADER = "__numpycam__"


def save(model: Sequential, path) -> Path:
    """Write ``model`` to ``path`` atomically (a temporary file in the same folder, renamed).

    Refuses (ValueError) weights that :func:`load` would refuse: NaN, inf, or not float32/64.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"save needs a numpycam Sequential model, got {type(model).__name__}")
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; give a file name, e.g. {path / 'model.npz'}")
    for key, arr in model.state().items():
        if arr.dtype not in (np.float32, np.float64) or not np.all(np.isfinite(arr)):
            raise ValueError(f"{key} is {arr.dtype} with {np.size(arr) - np.isfinite(arr).sum()} "
                             "NaN/inf; only finite float32/float64 weights are saved, nothing "
                             "was written")
    header = {
        "format": FORMAT,
        "version": VERSION,
        "layers": [layer_spec(lay) for lay in model.layers],
    }
    arrays = {HEADER: np.array(json.dumps(header))}
    arrays.update(model.state())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez_compressed(fh, **arrays)
        os.chmod(tmp, 0o644)  # mkstemp makes the file private; a model file is for everyone
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _bad(path, why: str) -> ValueError:
    return ValueError(f"{path} is not a numpycam model file: {why}. Write one with model.save(path).")


def load(path) -> Sequential:
    """Read a model written by :func:`save`; every kind of bad file raises a clear ValueError."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    try:
        data, arrays = np.load(path, allow_pickle=False), None
        if isinstance(data, np.lib.npyio.NpzFile):
            with data:
                arrays = {key: data[key] for key in data.files}
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError,
            NotImplementedError) as err:
        why = ("it holds pickled Python objects, which numpycam never loads (unpickling can run "
               "code)" if "pickle" in str(err) else
               f"it cannot be read as an .npz archive ({type(err).__name__}: {err})")
        raise _bad(path, why) from None
    if arrays is None:
        raise _bad(path, "it holds one bare array (an .npy file), not an .npz archive")
    if HEADER not in arrays:
        raise _bad(path, f"it has no {HEADER!r} header")
    try:
        header = json.loads(str(arrays.pop(HEADER)))
    except json.JSONDecodeError as err:
        raise _bad(path, f"its header is not valid JSON ({err})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise _bad(path, "its header does not name the numpycam model format")
    version = header.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _bad(path, f"its format version {version!r} is not a positive integer")
    if version > VERSION:
        raise ValueError(f"{path} uses model format version {version}, but this numpycam reads "
                         f"versions up to {VERSION}; upgrade numpycam to load it")
    specs = header.get("layers")
    if not isinstance(specs, list) or not specs or not all(isinstance(sp, dict) for sp in specs):
        raise _bad(path, "its header needs 'layers', a non-empty list of layer descriptions")
    try:
        model = Sequential([layer_from_spec(spec) for spec in specs])
    except (TypeError, ValueError) as err:
        raise _bad(path, str(err)) from None
    expected = model.state()
    missing = sorted(set(expected) - set(arrays))
    extra = sorted(set(arrays) - set(expected))
    if missing or extra:
        raise _bad(path, f"its arrays do not match its architecture (missing {missing}, unexpected {extra})")
    for key, arr in arrays.items():
        layer_path, _, p = key.rpartition("/")  # e.g. block3/expand_conv + W
        if arr.shape != expected[key].shape or arr.dtype not in (np.float32, np.float64):
            raise _bad(path, f"{key} has shape {arr.shape} {arr.dtype}, expected "
                             f"{expected[key].shape} float32 or float64")
        if not np.all(np.isfinite(arr)):
            raise _bad(path, f"{key} contains NaN or infinite values")
        setattr(model.locate(layer_path), p, arr)
    return model
