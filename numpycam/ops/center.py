"""Center: each image minus its mean colour, per channel, a fixed first step with no parameters.

    out_c(i, j) = x_c(i, j) - (1 / HW) sum_{a, b} x_c(a, b)        x, out (N, C, H, W)

The map is linear and self-adjoint (subtracting a mean is a symmetric projection), so backward
applies the same subtraction to dout: dx = dout - mean_ij(dout).
"""

from __future__ import annotations


def center_forward(x):
    """out = x - mean_ij(x) per image and channel; nothing to cache. Same shape."""
    return x - x.mean(axis=(2, 3), keepdims=True), None


def center_backward(dout):
    """dx = dout - mean_ij(dout). Same shape."""
    return dout - dout.mean(axis=(2, 3), keepdims=True)
