"""2-D convolution (cross-correlation, as in every deep-learning framework): the definition.

Shapes: x (N, C, H, W), W (D, C, HH, WW), b (D,), out (N, D, H', W') with D filters (F is
the post's GAP output, so the filter count gets its own letter):

    H' = (H + 2 * pad - HH) // stride + 1        W' = (W + 2 * pad - WW) // stride + 1
    out[n, d, i, j] = b[d] + sum_{c, p, q} W[d, c, p, q] * x_pad[n, c, i*stride + p, j*stride + q]

Backward: every output number sends dout[n, d, i, j] back along the products that made it, over
its window x_pad[n, :, i*stride : i*stride + HH, j*stride : j*stride + WW]:

    dW[d] += dout[n, d, i, j] * (its window)       dx_pad[n, :, (its window)] += dout[n, d, i, j] * W[d]
    db[d] = sum_{n, i, j} dout[n, d, i, j]         dx = dx_pad without the padded border

``conv_forward_naive`` / ``conv_backward_naive`` below are those sums written as loops, one
output number at a time: the definition, and the reference the tests compare the fast path with.
The fast path the layers run, ``conv_forward`` / ``conv_backward`` (im2col and a matmul, built
a block of images at a time), is :mod:`numpycam.ops.conv_fast`.
"""

from __future__ import annotations

import numpy as np


def out_size(n: int, k: int, stride: int, pad: int) -> int:
    """Output length of a convolution or pooling along one axis: (n + 2 pad - k) // stride + 1."""
    return (n + 2 * pad - k) // stride + 1


def conv_forward_naive(x, W, b, stride: int = 1, pad: int = 0):
    """(out, cache): the defining sum, one output number at a time; out (N, D, H', W')."""
    N, C, H, Wd = x.shape
    D, _, HH, WW = W.shape
    Ho, Wo = out_size(H, HH, stride, pad), out_size(Wd, WW, stride, pad)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, D, Ho, Wo), dtype=np.result_type(x, W))
    for n in range(N):
        for d in range(D):
            for i in range(Ho):
                for j in range(Wo):
                    patch = xp[n, :, i * stride : i * stride + HH, j * stride : j * stride + WW]
                    out[n, d, i, j] = np.sum(patch * W[d]) + b[d]
    return out, (x, W, stride, pad)


def conv_backward_naive(dout, cache):
    """(dx, dW, db): each output number sends dout back to the window that made it."""
    x, W, stride, pad = cache
    N, C, H, Wd = x.shape
    D, _, HH, WW = W.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dW = np.zeros_like(xp, dtype=dout.dtype), np.zeros_like(W, dtype=dout.dtype)
    db = dout.sum(axis=(0, 2, 3))
    for n in range(N):
        for d in range(D):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    rows = slice(i * stride, i * stride + HH)
                    cols = slice(j * stride, j * stride + WW)
                    dW[d] += dout[n, d, i, j] * xp[n, :, rows, cols]
                    dxp[n, :, rows, cols] += dout[n, d, i, j] * W[d]
    dx = dxp[:, :, pad : pad + H, pad : pad + Wd]
    return dx, dW, db
