"""LayerCAM: positive gradients, element-wise, at any layer."""

from __future__ import annotations

import numpy as np

from numpycam.family._base import gradient_method


def layer_cam_weights(f: np.ndarray, g: np.ndarray) -> np.ndarray:
    """weight_k(i, j) = ReLU(dS^c/df_k(i, j)), per position. (N, K, h, w)."""
    return np.maximum(g, 0)


def layer_cam(model, x, c, layer: str | int | None = None, *, relu: bool = True,
              details: bool = False):
    """L(i, j) = ReLU(sum_k ReLU(dS^c/df_k(i, j)) f_k(i, j)). (N, h, w).

    Jiang, Zhang, Hou, Cheng & Wei 2021, "LayerCAM: Exploring Hierarchical Class Activation
    Maps for Localization". Like HiResCAM, but only positions whose gradient would raise S^c
    count; meant for shallow layers too, where Grad-CAM's averaged weights blur. On a GAP
    network the gradient is w_k^c / Z everywhere, so L = ReLU(sum_k ReLU(w_k^c) f_k) / Z.

    Final ReLU: applied (the paper's map); ``relu=False`` returns the sum before it.
    """
    return gradient_method(model, x, c, layer, layer_cam_weights, relu=relu, details=details)
