"""Save and load a model as one ``.npz``: a JSON header plus one array per parameter.

The header is stored as a plain unicode array under ``__numpycam__``; nothing is pickled, and
``load`` opens files with ``allow_pickle=False``, so loading a file never runs code from it.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from numpycam.layers import LAYER_TYPES
from numpycam.model import Sequential

FORMAT = "numpycam-model"
VERSION = 1
HEADER = "__numpycam__"


def save(model: Sequential, path) -> Path:
    """Write ``model`` to ``path`` atomically (a temporary file in the same folder, renamed)."""
    path = Path(path)
    header = {
        "format": FORMAT,
        "version": VERSION,
        "layers": [{"type": type(lay).__name__, "name": lay.name, "config": lay.config()}
                   for lay in model.layers],
    }
    arrays = {HEADER: np.array(json.dumps(header))}
    arrays.update(model.state())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez_compressed(fh, **arrays)
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
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as err:
        raise _bad(path, f"it cannot be read as an .npz archive ({type(err).__name__}: {err})") from None
    if not isinstance(arrays, dict) or HEADER not in arrays:
        raise _bad(path, f"it has no {HEADER!r} header")
    try:
        header = json.loads(str(arrays.pop(HEADER)))
    except json.JSONDecodeError as err:
        raise _bad(path, f"its header is not valid JSON ({err})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise _bad(path, "its header does not name the numpycam model format")
    version = header.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise ValueError(f"{path} uses model format version {version}, but this numpycam reads "
                         f"versions up to {VERSION}; upgrade numpycam to load it")
    layers = []
    for spec in header.get("layers", []):
        cls = LAYER_TYPES.get(spec.get("type"))
        if cls is None:
            raise _bad(path, f"unknown layer type {spec.get('type')!r}")
        try:
            layers.append((spec["name"], cls(**spec.get("config", {}))))
        except (TypeError, ValueError, KeyError) as err:
            raise _bad(path, f"layer {spec.get('name')!r} has a bad config ({err})") from None
    model = Sequential(layers)
    expected = model.state()
    missing = sorted(set(expected) - set(arrays))
    extra = sorted(set(arrays) - set(expected))
    if missing or extra:
        raise _bad(path, f"its arrays do not match its architecture (missing {missing}, unexpected {extra})")
    for key, arr in arrays.items():
        layer_name, p = key.split("/")
        if arr.shape != expected[key].shape or arr.dtype.kind != "f":
            raise _bad(path, f"{key} has shape {arr.shape} {arr.dtype}, expected {expected[key].shape} float")
        if not np.all(np.isfinite(arr)):
            raise _bad(path, f"{key} contains NaN or infinite values")
        setattr(model[layer_name], p, arr)
    return model
