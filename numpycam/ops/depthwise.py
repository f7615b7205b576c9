"""Depthwise convolution: each channel is filtered by its own k x k kernel; channels never mix.

Shapes: x (N, C, H, W), W (C, HH, WW), b (C,), out (N, C, H', W'), padding (top, bottom, left,
right) of zeros, then

    H' = (H + top + bottom - HH) // stride + 1       W' = (W + left + right - WW) // stride + 1
    out[n, c, i, j] = b[c] + sum_{p, q} W[c, p, q] * x_pad[n, c, i*stride + p, j*stride + q]

Backward, as for any convolution but channel by channel: every output number sends
dout[n, c, i, j] back over its window x_pad[n, c, i*stride : i*stride + HH, j*stride : j*stride + WW]:

    dW[c] += dout[n, c, i, j] * (its window)       dx_pad[n, c, (its window)] += dout[n, c, i, j] * W[c]
    db[c] = sum_{n, i, j} dout[n, c, i, j]         dx = dx_pad without the padded border

``depthwise_forward_naive`` / ``depthwise_backward_naive`` below are those sums as loops: the
definition, and the reference the tests compare the fast path with. The fast path the layer
runs, ``depthwise_forward`` / ``depthwise_backward`` (one whole-array multiply-add per kernel
tap, no patches), is :mod:`numpycam.ops.depthwise_fast`.
"""

from __future__ import annotations

import numpy as np


def out_hw(H: int, W: int, k: tuple, stride: int, pad: tuple) -> tuple[int, int]:
    """(H', W') of a depthwise convolution (same formula as any convolution)."""
    top, bottom, left, right = pad
    return (H + top + bottom - k[0]) // stride + 1, (W + left + right - k[1]) // stride + 1


def depthwise_forward_naive(x, W, b=None, stride: int = 1, pad: tuple = (0, 0, 0, 0)):
    """(out, cache): the defining sum, one output number at a time; out (N, C, H', W')."""
    N, C, H, Wd = x.shape
    _, HH, WW = W.shape
    top, bottom, left, right = pad
    Ho, Wo = out_hw(H, Wd, (HH, WW), stride, pad)
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    out = np.zeros((N, C, Ho, Wo), dtype=np.result_type(x, W))
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    patch = xp[n, c, i * stride : i * stride + HH, j * stride : j * stride + WW]
                    out[n, c, i, j] = np.sum(patch * W[c]) + (0 if b is None else b[c])
    return out, (x, W, stride, pad)


def depthwise_backward_naive(dout, cache):
    """(dx, dW, db): each output number sends dout back to the window that made it."""
    x, W, stride, pad = cache
    N, C, H, Wd = x.shape
    _, HH, WW = W.shape
    top, bottom, left, right = pad
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    dxp, dW = np.zeros_like(xp, dtype=dout.dtype), np.zeros_like(W, dtype=dout.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    rows = slice(i * stride, i * stride + HH)
                    cols = slice(j * stride, j * stride + WW)
                    dW[c] += dout[n, c, i, j] * xp[n, c, rows, cols]
                    dxp[n, c, rows, cols] += dout[n, c, i, j] * W[c]
    dx = dxp[:, :, top : top + H, left : left + Wd]
    return dx, dW, dout.sum(axis=(0, 2, 3))
