"""CAM: the class's Dense weights applied to the maps that feed global average pooling.

Zhou, Khosla, Lapedriza, Oliva & Torralba 2016, "Learning Deep Features for Discriminative
Localization". For a network whose last conv maps f_k (N, K, h, w) go through GAP,
F_k = (1/Z) sum_ij f_k(i, j), into one Dense layer, S^c = sum_k w_k^c F_k + b_c:

    L_CAM^c(i, j) = sum_k w_k^c f_k(i, j)                                     (Eq. 2)

so the mean of L_CAM^c over the Z positions is S^c - b_c: the map spreads the score over the
image. ``cam_explanation`` is that equation on one batch of checked arrays; ``cam`` checks the
inputs and runs it ``batch_size`` images at a time.
"""

from __future__ import annotations

import numpy as np

from numpycam.methods.base import BATCH, CLASSES_DOC, Explanation, in_batches, weighted_sum
from numpycam.methods.targets import fold, model_targets, repeat_each, seeds
from numpycam.nn.layers import Dense, GlobalAvgPool2D
from numpycam.nn.sequential import Sequential


def gap_head(model: Sequential) -> int:
    """Index of the GlobalAvgPool2D that feeds the final Dense, or a ValueError saying why not."""
    i = next((i for i, lay in enumerate(model.layers) if isinstance(lay, GlobalAvgPool2D)), None)
    if i is None or i != len(model.layers) - 2 or not isinstance(model.layers[-1], Dense):
        found = ("no GlobalAvgPool2D layer" if i is None
                 else f"{model.layers[i].name!r} is not followed by one final Dense")
        raise ValueError(
            f"CAM needs a network whose last conv maps go through GlobalAvgPool2D into one final "
            f"Dense layer, but this model has {found} (layers: {model.names}). Use "
            "numpycam.grad_cam(model, x, c), which works on any architecture, or give a conv "
            "layer a GAP head and train it: numpycam.gap_head_at(model, layer), "
            "numpycam.fit_head."
        )
    return i


def check_cam_layer(model: Sequential, p: int, layer: str | int | None) -> None:
    """A ValueError unless ``layer`` is None or the layer that feeds GAP (index p - 1)."""
    if layer is not None and (p == 0 or model.index(layer) != p - 1):
        raise ValueError(
            f"CAM is defined only at the maps that feed GAP and the final Dense "
            f"({model.layers[p - 1].name!r} here), not at {layer!r}. Two ways to a map at {layer!r}: "
            f"numpycam.grad_cam(model, x, c, layer={layer!r}), or put a GAP head there and train "
            f"it: tuned = numpycam.gap_head_at(model, {layer!r}); numpycam.fit_head(tuned, "
            "images, labels); numpycam.cam(tuned, x, c)"
            if p > 0 else "CAM of this model explains its input; call it with layer=None")


def cam_explanation(model: Sequential, x: np.ndarray, c: np.ndarray | None,
                    layer: str | int | None = None) -> Explanation:
    """CAM on one batch: x (N, C, H, W) and c (N,) checked (or None, (N, T), a target:
    numpycam.methods.targets); ``layer`` as in :func:`cam`."""
    p = gap_head(model)  # index of the GAP layer; f is the output of layer p - 1
    check_cam_layer(model, p, layer)
    S = model.forward(x)  # (N, M): the scores S^c before softmax
    f = model.activation(p - 1) if p > 0 else x  # (N, K, h, w): the maps f_k that feed GAP
    c, dS = seeds(S, c)  # dS (N, T, M): 1 at class c (T classes per image, usually 1)
    W = model.layers[-1].W  # (M, K): w_k^c
    w = dS.reshape(-1, W.shape[0]) @ W  # (N T, K): sum_m dS_m w_k^m, = w_k^c for dS one-hot at c
    L = weighted_sum(repeat_each(f, dS), w)  # (N T, h, w): L_CAM^c(i, j) = sum_k w_k^c f_k(i, j), Eq. 2
    return Explanation(fold(L, c), f, fold(w, c), S, c,
                       model.layers[p - 1].name if p > 0 else "input")


def cam(model: Sequential, x, c=None, layer: str | int | None = None, *, details: bool = False,
        batch_size: int = BATCH, target=None):
    """L_CAM^c(i, j) = sum_k w_k^c f_k(i, j): raw values, no ReLU, no scaling. (N, h, w).

    f is the input of the model's GlobalAvgPool2D, w = model's final Dense ``W``; ``c`` is an int
    or one int per image. CAM is defined at that one layer only: ``layer`` is accepted so that
    every method is called alike (numpycam.methods.registry), and must be None or name that
    layer (for a map at another layer: ``grad_cam(..., layer=...)``, or a GAP head trained there
    with numpycam.train.heads). ``details=True`` returns an :class:`Explanation` instead.
    Computed ``batch_size`` images at a time. With ``target=``, the weights are
    sum_m (dy/dS^m) w_k^m: exactly the CAM of y for a linear target (S is linear in the f_k).
    """
    x, c = model_targets(model, x, c, target)
    return in_batches(cam_explanation, model, x, c, batch_size, details=details,
                      what="the CAM maps", layer=layer)


cam.__doc__ = (cam.__doc__ or "") + CLASSES_DOC
