"""Element-wise and fully connected operations: ReLU, guided ReLU, Dense, Flatten.

ReLU:   out = max(x, 0)                     dx = dout * [x > 0]
Guided: dx = dout * [x > 0] * [dout > 0]    (Springenberg et al. 2015, "Striving for Simplicity:
        The All Convolutional Net": only positive gradients pass, and only at positive inputs)
Dense:  x (N, K) -> S (N, M),  S = x W^T + b,  W (M, K), so W[c, k] is the post's w_k^c.
"""

from __future__ import annotations

import numpy as np


def relu_forward(x):
    """(out, mask) with mask = x > 0, all that backward needs.

    ``np.maximum`` and ``>`` are plain ufuncs: one pass each over x in its memory order.
    """
    return np.maximum(x, 0).astype(x.dtype, copy=False), x > 0


def relu_backward(dout, mask, guided: bool = False):
    """Plain ReLU derivative, or the guided-backprop rule that also drops negative gradients.

    A multiplication by the boolean mask (one ufunc pass, in dout's memory order).
    """
    if guided:
        mask = mask & (dout > 0)
    return np.multiply(dout, mask, dtype=dout.dtype)


def dense_forward(x, W, b):
    """S = x W^T + b: (N, K) -> (N, M)."""
    return x @ W.T + b, x


def dense_backward(dout, x, W):
    """(dx, dW, db) = (dout W, dout^T x, sum_n dout)."""
    return dout @ W, dout.T @ x, dout.sum(axis=0)


def flatten_forward(x):
    """(N, C, H, W) -> (N, C*H*W) in C order (channel, row, column)."""
    return x.reshape(x.shape[0], -1), x.shape


def flatten_backward(dout, x_shape):
    return dout.reshape(x_shape)


def center_forward(x):
    """Subtract each image's per-channel mean: x_c(i, j) - (1/HW) sum_ab x_c(a, b)."""
    return x - x.mean(axis=(2, 3), keepdims=True), None


def center_backward(dout):
    """The mean subtraction is linear and self-adjoint: dx = dout - mean_ij(dout)."""
    return dout - dout.mean(axis=(2, 3), keepdims=True)
