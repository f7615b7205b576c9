"""The trained models shipped with the package.

``numpycam.pretrained("gap")`` and ``numpycam.pretrained("fc")`` load ready ``Sequential``
models from ``numpycam/weights/*.npz``; ``numpycam train`` (:mod:`numpycam.recipes`) rebuilds
those files with a fixed recipe, so the run is reproducible.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from numpycam.io import load
from numpycam.model import Sequential

NAMES = ("gap", "fc")


def weights_path(name: str) -> Path:
    """Where the shipped weights of ``name`` live inside the installed package."""
    if name not in NAMES:
        raise ValueError(f"unknown pretrained model {name!r}; choose one of {list(NAMES)}")
    return Path(str(resources.files("numpycam") / "weights" / f"{name}.npz"))


def pretrained(name: str = "gap") -> Sequential:
    """The shipped ``gap`` (CAM architecture) or ``fc`` (conventional CNN) model, trained."""
    path = weights_path(name)
    if not path.is_file():
        raise FileNotFoundError(f"the shipped weights {path} are missing; run `numpycam train` "
                                "to make them")
    return load(path)
