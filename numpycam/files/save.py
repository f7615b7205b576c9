"""Save a model as a numpycam model file (the format: :mod:`numpycam.files.rules`), atomically.

    numpycam.save(model, "model.npz")        # read back with numpycam.load("model.npz")

The header is written as JSON under ``__numpycam__``, each parameter and buffer as its own
array; nothing is pickled.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from numpycam.files.rules import FORMAT, HEADER, MAX_PARAMS, VERSION, check_array, check_header
from numpycam.nn.layer import layer_spec
from numpycam.nn.sequential import Sequential


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save(model: Sequential, path, *, max_params: int | None = None) -> Path:
    """Write ``model`` (its ``layers`` and ``state()``) to ``path`` atomically: a temporary file
    in the same folder, renamed; a file that was there keeps its permissions. Returns the path.

    Refuses (ValueError, nothing written, the old file untouched) exactly what
    :func:`numpycam.load` refuses, by the same checks (:mod:`numpycam.files.rules`): a bad or
    repeated layer name, one layer object at two positions, a weight of the wrong shape, NaN,
    inf, anything but little-endian float32/float64, more than ``max_params`` numbers
    (default ``numpycam.files.rules.MAX_PARAMS``; load needs the same ``max_params`` then).
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"save needs a numpycam Sequential model, got {type(model).__name__}")
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; give a file name, e.g. {path / 'model.npz'}")
    try:
        header = {
            "format": FORMAT,
            "version": VERSION,
            "layers": [layer_spec(lay) for lay in model.layers],
            "training": model.training,  # BatchNorm's mode; files without it load in training mode
        }
        text = json.dumps(header)
        plan = check_header(json.loads(text), MAX_PARAMS if max_params is None else max_params)
        state, ids = model.state(), set()
        for key, arr in state.items():
            if not isinstance(arr, np.ndarray):
                raise ValueError(f"{key} is a {type(arr).__name__}, not a NumPy array")
            check_array(key, arr.shape, arr.dtype, plan)
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"{key} contains {arr.size - np.isfinite(arr).sum()} NaN/inf")
        for _, layer in model._walk(False):
            if id(layer) in ids:
                raise ValueError(f"the layer object {layer.name!r} sits at two positions")
            ids.add(id(layer))
        if set(plan) != set(state):
            raise ValueError(f"its weights {sorted(set(plan) ^ set(state))} do not match its layers")
    except (TypeError, ValueError) as err:
        raise ValueError(f"{err}; model not saved, nothing was written to {path}") from None
    arrays = {HEADER: np.array(text)}
    arrays.update(state)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask()
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        raise type(err)(err.errno, f"cannot write {path}: {err.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez_compressed(fh, **arrays)
        os.chmod(tmp, mode)  # mkstemp makes the file private; keep the old file's permissions
        os.replace(tmp, path)
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise type(err)(err.errno, f"cannot write {path}: {err.strerror}") from None
        raise
    return path
