"""HiResCAM: the gradient times the activation, position by position, with no averaging."""

from __future__ import annotations

import numpy as np

from numpycam.methods.base import from_rule


def hires_cam_weights(f: np.ndarray, g: np.ndarray) -> np.ndarray:
    """weight_k(i, j) = dS^c/df_k(i, j): the gradient itself, per position. (N, K, h, w)."""
    return g


hires_cam = from_rule("hires_cam", hires_cam_weights, relu=True, doc="""
    L(i, j) = sum_k dS^c/df_k(i, j) * f_k(i, j). (N, h, w).

    Draelos & Carin 2020, "Use HiResCAM instead of Grad-CAM for faithful explanations of
    convolutional neural networks". Grad-CAM averages the gradient over positions before it
    multiplies; HiResCAM multiplies element-wise, so a position scores only through its own
    gradient. On a GAP network dS^c/df_k(i, j) = w_k^c / Z everywhere, hence HiResCAM = CAM / Z
    (= Grad-CAM): it generalises CAM. Where the gradient varies (Flatten + Dense heads) the two
    differ.

    Final ReLU: applied by default, as in :func:`numpycam.grad_cam`, so the two compare map for
    map; ``relu=False`` returns the signed sum. ``details=True`` returns an Explanation whose
    ``weights`` are the per-position gradients (N, K, h, w).
    """)
