"""Max pooling and Global Average Pooling (GAP).

Max pool, x (N, C, H, W) -> out (N, C, H', W'), H' = (H - size) // stride + 1:

    out[n, c, i, j] = max_{p, q < size} x[n, c, i*stride + p, j*stride + q]

Its derivative sends dout to the one input that was the maximum of its window. Where two inputs
tie for the maximum the function has no derivative; we send the gradient to the first of them in
row-major order (as the frameworks do), and the tests keep ties out of their inputs.

GAP, f (N, K, h, w) -> F (N, K), with Z = h * w positions:

    F_k = (1 / Z) sum_{i, j} f_k(i, j)            dF_k / df_k(i, j) = 1 / Z
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from numpycam.ops.conv import out_size


class PoolCache(NamedTuple):
    x_shape: tuple  # (N, C, H, W)
    argmax: np.ndarray  # (N, C, H', W') flat index p*size + q of each window's maximum
    size: int
    stride: int


def maxpool_forward(x, size: int = 2, stride: int | None = None):
    """Vectorised max pool over a strided window view (no copy until the argmax)."""
    stride = size if stride is None else stride
    N, C, H, W = x.shape
    Ho, Wo = out_size(H, size, stride, 0), out_size(W, size, stride, 0)
    win = sliding_window_view(x, (size, size), axis=(2, 3))[
        :, :, : Ho * stride : stride, : Wo * stride : stride
    ]  # (N, C, H', W', size, size) view
    flat = win.reshape(N, C, Ho, Wo, size * size)  # one copy
    argmax = flat.argmax(axis=-1)  # (N, C, H', W')
    out = np.take_along_axis(flat, argmax[..., None], axis=-1)[..., 0]
    return out, PoolCache(x.shape, argmax, size, stride)


def maxpool_backward(dout, cache: PoolCache):
    """Route each dout to its window's maximum: one strided add per window offset (p, q)."""
    (N, C, H, W), argmax, size, stride = cache
    Ho, Wo = argmax.shape[2], argmax.shape[3]
    dx = np.zeros((N, C, H, W), dtype=dout.dtype)
    for p in range(size):
        for q in range(size):
            hit = argmax == p * size + q  # (N, C, H', W')
            dx[:, :, p : p + stride * Ho : stride, q : q + stride * Wo : stride] += dout * hit
    return dx


def maxpool_forward_naive(x, size: int = 2, stride: int | None = None):
    """Reference max pool: a loop over windows."""
    stride = size if stride is None else stride
    N, C, H, W = x.shape
    Ho, Wo = out_size(H, size, stride, 0), out_size(W, size, stride, 0)
    out = np.empty((N, C, Ho, Wo), dtype=x.dtype)
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = x[:, :, i * stride : i * stride + size, j * stride : j * stride + size].max(
                axis=(2, 3)
            )
    return out, (x, size, stride)


def maxpool_backward_naive(dout, cache):
    """Reference backward: for each window, put dout where the (first) maximum sits."""
    x, size, stride = cache
    dx = np.zeros_like(x, dtype=dout.dtype)
    N, C, Ho, Wo = dout.shape
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    window = x[n, c, i * stride : i * stride + size, j * stride : j * stride + size]
                    p, q = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, i * stride + p, j * stride + q] += dout[n, c, i, j]
    return dx


def gap_forward(f):
    """Global Average Pooling: (N, K, h, w) -> (N, K), the mean of each feature map."""
    return f.mean(axis=(2, 3)), f.shape


def gap_backward(dout, f_shape):
    """Each of the Z positions of map k receives dout_k / Z: (N, K) -> (N, K, h, w)."""
    N, K, h, w = f_shape
    Z = h * w
    return np.repeat(dout / Z, h * w, axis=1).reshape(N, K, h, w)
