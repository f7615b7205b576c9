"""Grad-CAM: the channel weights are the class score's gradient, averaged over positions.

Selvaraju, Cogswell, Das, Vedantam, Parikh & Batra 2017, "Grad-CAM: Visual Explanations from
Deep Networks via Gradient-based Localization". For any network and any conv layer with output
f (N, K, h, w), S^c the score of class c before softmax and Z = h w:

    a_k^c = (1/Z) sum_i sum_j dS^c / df_k(i, j)                               (Eq. 1)
    L_Grad-CAM^c(i, j) = ReLU(sum_k a_k^c f_k(i, j))                          (Eq. 2)

On a GAP network at the maps that feed GAP, dS^c/df_k(i, j) = w_k^c / Z at every position, so
a_k^c = w_k^c / Z and Grad-CAM = ReLU(CAM) / Z (tests/test_cam.py proves it).

``grad_cam_explanation`` is these two equations on one batch of checked arrays, one forward
and one backward pass; ``grad_cam`` checks the inputs and runs it ``batch_size`` images at a
time. The rest of the family (numpycam.methods) keeps the two passes and changes the weights.
"""

from __future__ import annotations

import numpy as np

from numpycam.methods.base import BATCH, CLASSES_DOC, Explanation, feature_layer, in_batches, weighted_sum
from numpycam.methods.targets import backward_each, fold, model_targets, repeat_each, seeds
from numpycam.nn.sequential import Sequential


def grad_cam_weights(f: np.ndarray, g: np.ndarray) -> np.ndarray:
    """a_k^c = (1/Z) sum_ij dS^c/df_k(i, j): the gradient averaged over positions. (N, K)."""
    return g.mean(axis=(2, 3))  # Grad-CAM Eq. 1


def grad_cam_explanation(model: Sequential, x: np.ndarray, c: np.ndarray | None,
                         layer: str | int | None = None, *, relu: bool = True,
                         counterfactual: bool = False) -> Explanation:
    """Grad-CAM on one batch: x (N, C, H, W) and c (N,) checked (or None, (N, T), a target:
    numpycam.methods.targets); options as in :func:`grad_cam`."""
    i = feature_layer(model, layer)  # f is the output of layer i
    S = model.forward(x)  # (N, M): the scores S^c before softmax
    f = model.activation(i)  # (N, K, h, w): the maps f_k
    c, dS = seeds(S, c)  # dS (N, T, M): 1 at c_n, so S^{c_n} is differentiated (T = 1: one class)
    g = backward_each(model, dS, until=i)  # (N T, K, h, w): g = dS^c/df, one backward per class
    a = g.mean(axis=(2, 3))  # (N T, K): a_k^c = (1/Z) sum_ij g_k(i, j), Eq. 1
    if counterfactual:
        a = -a  # (N T, K): the weights of the negated gradient, -a_k^c
    L = weighted_sum(repeat_each(f, dS), a)  # (N T, h, w): sum_k a_k^c f_k(i, j)
    if relu:
        L = np.maximum(L, 0)  # (N T, h, w): ReLU(sum_k a_k^c f_k(i, j)), Eq. 2
    return Explanation(fold(L, c), f, fold(a, c), S, c, model.layers[i].name)


def grad_cam(model: Sequential, x, c=None, layer: str | int | None = None, *, relu: bool = True,
             details: bool = False, counterfactual: bool = False, batch_size: int = BATCH,
             target=None):
    """L = ReLU(sum_k a_k^c f_k(i, j)), a_k^c = (1/Z) sum_ij dS^c/df_k(i, j). (N, h, w).

    ``layer`` (a name or an index) gives f = that layer's output; by default the last layer
    whose output is 4-D, i.e. the map that feeds GAP or Flatten. ``relu=False`` returns the
    weighted sum before the ReLU (for teaching). Works on any model, CAM-shaped or not.
    ``details=True`` returns an :class:`Explanation` (f, a, S, ...) instead. Computed
    ``batch_size`` images at a time.

    ``counterfactual=True`` weighs the maps by the NEGATED gradient (the Grad-CAM journal
    paper, Section 5.2, "counterfactual explanations"):

        L_cf^c(i, j) = ReLU(sum_k (-a_k^c) f_k(i, j))

    the regions whose removal would make the network MORE confident in class c. On a GAP
    network at the maps that feed GAP, a_k^c = w_k^c / Z, so L_cf^c = ReLU(-L_CAM^c) / Z.
    """
    x, c = model_targets(model, x, c, target)
    return in_batches(grad_cam_explanation, model, x, c, batch_size, details=details,
                      layer=layer, relu=relu, counterfactual=counterfactual)


grad_cam.__doc__ = (grad_cam.__doc__ or "") + CLASSES_DOC
