"""LayerCAM: positive gradients, element-wise, at any layer."""

from __future__ import annotations

import numpy as np

from numpycam.methods.base import from_rule


def layer_cam_weights(f: np.ndarray, g: np.ndarray) -> np.ndarray:
    """weight_k(i, j) = ReLU(dS^c/df_k(i, j)), per position. (N, K, h, w)."""
    return np.maximum(g, 0)


layer_cam = from_rule("layer_cam", layer_cam_weights, relu=True, doc="""
    L(i, j) = ReLU(sum_k ReLU(dS^c/df_k(i, j)) f_k(i, j)). (N, h, w).

    Jiang, Zhang, Hou, Cheng & Wei 2021, "LayerCAM: Exploring Hierarchical Class Activation
    Maps for Localization". Like HiResCAM, but only positions whose gradient would raise S^c
    count; meant for shallow layers too, where Grad-CAM's averaged weights blur. On a GAP
    network the gradient is w_k^c / Z everywhere, so L = ReLU(sum_k ReLU(w_k^c) f_k) / Z.

    Final ReLU: applied (the paper's map); ``relu=False`` returns the sum before it.
    """)
