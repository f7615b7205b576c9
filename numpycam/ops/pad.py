"""Zero padding, and TensorFlow's "same" padding rule.

ZeroPad2D: x (N, C, H, W) -> (N, C, top + H + bottom, left + W + right), zeros around x.
Its backward cuts the gradient of the padded border away: dx = dout[:, :, top:top+H, left:left+W].

"same" (as TensorFlow computes it): the output has ceil(size / stride) positions, and the
padding that needs, total = max((out - 1) * stride + kernel - size, 0), is split with the odd
extra row or column AFTER the image: before = total // 2, after = total - before.
"""

from __future__ import annotations

import numpy as np


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """(before, after) zero rows (or columns) for TF "same" padding along one axis."""
    if size < 1 or kernel < 1 or stride < 1:
        raise ValueError(f"same_padding needs positive size, kernel, stride; got {size}, {kernel}, {stride}")
    out = -(-size // stride)  # ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def pad_forward(x, pad: tuple):
    """x (N, C, H, W) inside zeros: pad = (top, bottom, left, right). (out, cache)."""
    top, bottom, left, right = pad
    N, C, H, W = x.shape
    out = np.zeros((N, C, top + H + bottom, left + W + right), dtype=x.dtype)
    out[:, :, top : top + H, left : left + W] = x
    return out, (x.shape, pad)


def pad_backward(dout, cache):
    """dx = the part of dout that lies over x (the border's gradient goes nowhere)."""
    (N, C, H, W), (top, _, left, _) = cache
    return dout[:, :, top : top + H, left : left + W]
