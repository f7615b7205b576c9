"""Element-wise and fully connected operations: ReLU, guided ReLU, Dense, Flatten.

ReLU:   out = max(x, 0)                     dx = dout * [x > 0]
Guided: dx = dout * [x > 0] * [dout > 0]    (Springenberg et al. 2015, "Striving for Simplicity:
        The All Convolutional Net": only positive gradients pass, and only at positive inputs)
Dense:  x (N, K) -> S (N, M),  S = x W^T + b,  W (M, K), so W[c, k] is the post's w_k^c.
"""

from __future__ import annotations

import numpy as np


def relu_forward(x):
    """(out, mask) with mask = x > 0, all that backward needs."""
    mask = x > 0
    return np.where(mask, x, 0).astype(x.dtype, copy=False), mask


def relu_backward(dout, mask, guided: bool = False):
    """Plain ReLU derivative, or the guided-backprop rule that also drops negative gradients."""
    if guided:
        return np.where(mask & (dout > 0), dout, 0).astype(dout.dtype, copy=False)
    return np.where(mask, dout, 0).astype(dout.dtype, copy=False)


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
