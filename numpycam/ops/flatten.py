"""Flatten: every image's maps as one row, the input of a conventional CNN's Dense layers.

    x (N, C, H, W) -> (N, C*H*W) in C order (channel, then row, then column)

A reshape moves no number, so backward reshapes dout back: dx = dout as (N, C, H, W).
"""

from __future__ import annotations


def flatten_forward(x):
    """(N, C, H, W) -> (N, C*H*W). The cache is x's shape."""
    return x.reshape(x.shape[0], -1), x.shape


def flatten_backward(dout, x_shape):
    """(N, C*H*W) -> (N, C, H, W)."""
    return dout.reshape(x_shape)
