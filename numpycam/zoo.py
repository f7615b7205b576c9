"""The trained models shipped with the package, and the recipe that made them.

``numpycam.pretrained("gap")`` and ``numpycam.pretrained("fc")`` load ready ``Sequential``
models from ``numpycam/weights/*.npz``; ``numpycam train`` rebuilds those files with
:data:`RECIPE` (fixed seeds, so the run is reproducible).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from numpycam.builders import fc_cnn, gap_cnn
from numpycam.io import load
from numpycam.model import Sequential

NAMES = ("gap", "fc")

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
