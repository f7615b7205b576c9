"""XGrad-CAM: the gradient averaged with the activation's own share as the weight."""

from __future__ import annotations

import numpy as np

from numpycam.methods.base import from_rule


def xgrad_cam_weights(f: np.ndarray, g: np.ndarray) -> np.ndarray:
    """a_k = sum_ij (f_k(i, j) / sum_ab f_k(a, b)) g_k(i, j), 0 if sum_ab f_k(a, b) = 0. (N, K)."""
    total = f.sum(axis=(2, 3), keepdims=True)  # (N, K, 1, 1)
    share = np.divide(f, total, out=np.zeros(f.shape, dtype=np.result_type(f, g)),
                      where=total != 0)  # (N, K, h, w)
    return (share * g).sum(axis=(2, 3))  # (N, K)


xgrad_cam = from_rule("xgrad_cam", xgrad_cam_weights, relu=True, doc="""
    L = ReLU(sum_k a_k f_k), a_k = sum_ij (f_k(i, j) / sum_ab f_k(a, b)) dS^c/df_k(i, j).

    Fu, Hu, Dong, Guo, Gao & Li 2020, "Axiom-based Grad-CAM: Towards Accurate Visualization and
    Explanation of CNNs". Grad-CAM weights every position's gradient by 1/Z; XGrad-CAM by the
    position's share of the map's total activation. A channel whose activations sum to exactly
    0 gets weight 0 (the share is undefined; with f >= 0 that channel is all zero and adds
    nothing anyway). On a GAP network the gradient is w_k^c / Z at every position, so
    a_k = w_k^c / Z: the Grad-CAM weight. (N, h, w).

    Final ReLU: applied by default, as in Grad-CAM; ``relu=False`` returns the sum before it.
    """)
