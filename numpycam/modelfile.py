"""The numpycam model file: one ``.npz`` with a JSON header and one array per parameter.

Written here, read by :func:`numpycam.io.load`. The header is a plain unicode array under
``__numpycam__``; nothing is pickled. This module needs no Sequential (only ``model.layers``,
``model.training`` and ``model.state()``), so numpycam.model can import it without an import cycle.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from numpycam.layers import layer_spec

FORMAT = "numpycam-model"
VERSION = 1
HEADER = "__numpycam__"


def write_model(model, path) -> Path:
    """Write ``model`` (its ``layers`` and ``state()``) to ``path`` atomically: a temporary file
    in the same folder, renamed. Refuses (ValueError) weights that :func:`numpycam.load` would
    refuse: NaN, inf, or not float32/64.
    """
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
        "training": model.training,  # BatchNorm's mode; files without it load in training mode
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
