"""Catching a shortcut: plant a spurious cue in the data, train on it, and let the map show it.

The Grad-CAM paper ("identifying bias in datasets") found a classifier that looked right on its
test set but had learnt the wrong cue, and saw it in the maps. Here the cue is planted:

    mark      a small square in the top-left corner whose colour is PALETTE[label] with
              probability ``agreement`` and one of the other colours otherwise
    biased    training data with agreement 0.95: the colour alone gives 95 % accuracy
    unbiased  agreement 0.25 = one colour in four at random: the mark tells nothing

A model trained on biased data scores high there and drops on unbiased data; its map of the
class puts its energy on the mark. Trained on unbiased data (the fix), the same recipe has no
reason to look at the mark and the map moves back to the object. "Looks at the mark" is

    mark_energy = sum of max(L, 0) inside the mark's box / sum of max(L, 0)  (numpycam.evaluation.pointing)

on the map L of the PREDICTED class (what the decision rests on) upsampled to the image,
beside the same share inside the object's box and the share of images whose map peaks on the
mark (the pointing game with the mark as target). :data:`RECIPE` is small and seeded so
the whole experiment takes seconds to a minute; nothing is shipped.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np

from numpycam.data import shapes
from numpycam.evaluation.pointing import energy_in_box, pointing_game
from numpycam.methods.postprocess import upsample
from numpycam.methods.registry import METHODS
from numpycam.nn.builders import gap_cnn
from numpycam.train.fit import History, accuracy, fit

__all__ = ["PALETTE", "RECIPE", "Shortcut", "mark_energy", "plant_mark", "train_on_marks"]

PALETTE = np.array([[1.0, 0.1, 0.1], [0.1, 0.9, 0.1], [0.15, 0.3, 1.0], [1.0, 0.9, 0.0]])
# Large objects on a plain background, so that a small network learns the shapes in seconds
# when the mark does not give them away. Measured on two shared cores: about 20 s per model.
RECIPE = {"n": 800, "size": 32, "mark": 6, "train_seed": 31, "test": {"n": 400, "seed": 32},
          "shapes": {"clutter": 0.0, "noise": 0.0, "min_scale": 0.45, "max_scale": 0.6},
          "widths": (16, 32, 64), "pools": None, "seed": 0,
          "fit": {"epochs": 12, "lr": 5e-3, "batch_size": 16, "flip": False}}


def plant_mark(data, agreement: float, *, side: int = 6, seed: int = 0):
    """(data with a mark painted on, mark boxes (N, 4), mark colour classes (N,)).

    The mark is a ``side`` x ``side`` square at the top-left corner, painted over whatever is
    there; its colour is PALETTE[label] with probability ``agreement`` and one of the other
    three colours (uniformly) otherwise, so agreement 0.25 makes it independent of the label.
    ``flip=False`` when training: a mirrored image would move the mark to another corner.
    """
    if not 0 <= agreement <= 1:
        raise ValueError(f"agreement must be a probability in [0, 1], got {agreement}")
    size = data.images.shape[-1]
    if not 1 <= side <= size // 2:
        raise ValueError(f"side must be between 1 and half the image side {size // 2}, got {side}")
    rng = np.random.default_rng(seed)
    n, k = len(data), len(PALETTE)
    other = (data.labels + rng.integers(1, k, n)) % k  # never the label
    colour = np.where(rng.random(n) < agreement, data.labels, other)
    images = data.images.copy()
    value = PALETTE[colour][:, :, None, None]  # (N, 3, 1, 1)
    if images.dtype == np.uint8:
        value = np.rint(255 * value)
    images[:, :, :side, :side] = value.astype(images.dtype)
    boxes = np.tile(np.array([0, 0, side, side], dtype=np.int64), (n, 1))
    return dataclasses.replace(data, images=images), boxes, colour


def mark_energy(model, x, c, mark_boxes, method: str = "grad_cam") -> np.ndarray:
    """Share of the positive map of class c inside the mark's box, per image. (N,)."""
    L = METHODS[method].function(model, x, c)  # (N, h, w)
    return energy_in_box(upsample(L, x.shape[2:]), mark_boxes)


def _where_it_looks(model, data, mark_boxes, method: str) -> dict:
    """Mark energy, object-box energy and peak-on-mark share of the predicted class's maps."""
    L = upsample(METHODS[method].function(model, data.images, model.predict(data.images)),
                 data.images.shape[2:])  # (N, H, W)
    mark = np.zeros(L.shape, dtype=bool)
    x0, y0, x1, y1 = mark_boxes[0]
    mark[:, y0:y1, x0:x1] = True
    return {"mark_energy": float(np.mean(energy_in_box(L, mark_boxes))),
            "object_energy": float(np.mean(energy_in_box(L, data.boxes))),
            "peak_on_mark": float(np.mean(pointing_game(L, mark)))}


class Shortcut(NamedTuple):
    """One trained model of the shortcut experiment and what was measured on it.

    train_acc     on its own training data;  test_acc  on unbiased marked test images
    test_acc_cue  on test images whose mark AGREES with the label everywhere (agreement 1)
    looks         {method: {"mark_energy", "object_energy", "peak_on_mark"}} on the unbiased
                  test images, maps of the predicted class (see the module docstring)
    """

    model: object
    history: History
    train_acc: float
    test_acc: float
    test_acc_cue: float
    looks: dict


def train_on_marks(agreement: float, recipe: dict | None = None, methods=("cam", "grad_cam"),
                   log=None) -> Shortcut:
    """Train ``gap_cnn`` on marked shapes with ``agreement`` and measure it (see Shortcut)."""
    r = {**RECIPE, **(recipe or {})}
    train = shapes(r["n"], seed=r["train_seed"], size=r["size"], **r["shapes"])
    train, _, _ = plant_mark(train, agreement, side=r["mark"], seed=r["train_seed"])
    test = shapes(r["test"]["n"], seed=r["test"]["seed"], size=r["size"], **r["shapes"])
    unbiased, boxes, _ = plant_mark(test, 0.25, side=r["mark"], seed=r["test"]["seed"])
    cued, _, _ = plant_mark(test, 1.0, side=r["mark"], seed=r["test"]["seed"])
    model = gap_cnn(widths=r["widths"], pools=r["pools"], seed=r["seed"])
    history = fit(model, train.images, train.labels, seed=r["seed"], log=log, **r["fit"])
    looks = {m: _where_it_looks(model, unbiased, boxes, m) for m in methods}
    return Shortcut(model, history, accuracy(model, train.images, train.labels),
                    accuracy(model, unbiased.images, unbiased.labels),
                    accuracy(model, cued.images, cued.labels), looks)
