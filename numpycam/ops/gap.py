"""Global Average Pooling (GAP), the layer CAM is built on (Zhou et al. 2016, "Learning Deep
Features for Discriminative Localization").

f (N, K, h, w) -> F (N, K), with Z = h * w positions per map:

    F_k = (1 / Z) sum_{i, j} f_k(i, j)

Every position counts the same, so the derivative spreads the gradient evenly:

    dF_k / df_k(i, j) = 1 / Z        dL/df_k(i, j) = (1 / Z) dL/dF_k   at each of the Z positions
"""

from __future__ import annotations

import numpy as np


def gap_forward(f):
    """F_k = (1/Z) sum_ij f_k(i, j): (N, K, h, w) -> (N, K). The cache is f's shape."""
    return f.mean(axis=(2, 3)), f.shape


def gap_backward(dout, f_shape):
    """dL/df_k(i, j) = dout_k / Z at each of the Z positions of map k: (N, K) -> (N, K, h, w)."""
    N, K, h, w = f_shape
    Z = h * w
    g = dout / Z  # (N, K)
    full = np.empty((N, K, h, w), dtype=g.dtype)
    full[...] = g[:, :, None, None]
    return full
