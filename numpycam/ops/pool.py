"""Max pooling (Global Average Pooling has its own file, :mod:`numpycam.ops.gap`).

Max pool, x (N, C, H, W) -> out (N, C, H', W'), H' = (H - size) // stride + 1:

    out[n, c, i, j] = max_{p, q < size} x[n, c, i*stride + p, j*stride + q]

Its derivative sends dout to the one input that was the maximum of its window. Where two inputs
tie for the maximum the function has no derivative; we send the gradient to the first of them in
row-major order (as the frameworks do), and the tests keep ties out of their inputs.

``maxpool_forward_naive`` / ``maxpool_backward_naive`` are the definition as loops over windows;
``maxpool_forward`` / ``maxpool_backward`` after them are the fast path the layer runs (the
same numbers, the tests check, from size*size element-wise passes over strided views).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from numpycam.ops.conv import out_size
from numpycam.ops.conv_fast import image_blocks


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


class PoolCache(NamedTuple):
    x: np.ndarray  # (N, C, H, W) the input itself (a reference, not a copy)
    out: np.ndarray  # (N, C, H', W') the window maxima
    size: int
    stride: int


# Forward and backward visit every entry of x size*size times (once per window offset); done
# a block of images at a time, a block stays in the core's cache across those passes instead of
# being read from main memory each time. Changes speed only.
BLOCK_BYTES = 1 << 18


def _offset(a, p: int, q: int, stride: int, Ho: int, Wo: int):
    """View of the entries at offset (p, q) of every window: a[..., i*stride + p, j*stride + q]."""
    return a[:, :, p : p + stride * (Ho - 1) + 1 : stride, q : q + stride * (Wo - 1) + 1 : stride]


def maxpool_forward(x, size: int = 2, stride: int | None = None):
    """Vectorised max pool: the running maximum of size*size strided views, no copy of x.

    Each view ``_offset(x, p, q)`` holds one entry of every window, so the pool is size*size
    element-wise ``np.maximum`` calls over x as it lies in memory; a window view + reshape would
    copy x in a scattered order first. Backward finds the maxima again from x and out, so a
    forward-only pass (CAM) stores nothing extra.
    """
    stride = size if stride is None else stride
    N, C, H, W = x.shape
    Ho, Wo = out_size(H, size, stride, 0), out_size(W, size, stride, 0)
    out = np.empty((N, C, Ho, Wo), dtype=x.dtype)
    for n in image_blocks(N, x[:1].nbytes, BLOCK_BYTES):
        views = [_offset(x[n], p, q, stride, Ho, Wo) for p in range(size) for q in range(size)]
        np.copyto(out[n], views[0])
        for v in views[1:]:
            np.maximum(out[n], v, out=out[n])
    return out, PoolCache(x, out, size, stride)


def maxpool_backward(dout, cache: PoolCache):
    """Route each dout to its window's first maximum: one masked write per window offset (p, q).

    Offsets are visited in row-major order and an offset only takes the windows whose maximum
    no earlier offset has taken, which is the tie rule of the loop reference. Every pass is a
    ufunc over strided views in x's memory order, as in forward; none gathers or copies x.
    """
    x, out, size, stride = cache
    N, C, H, W = x.shape
    tiled = stride == size and H % size == 0 and W % size == 0  # every input in one window
    dx = (np.empty if tiled else np.zeros)(x.shape, dtype=dout.dtype)  # tiled: all written below
    for n in image_blocks(N, x[:1].nbytes, BLOCK_BYTES):
        _route(x[n], out[n], dout[n], dx[n], size, stride)
    return dx


def _route(x, out, dout, dx, size: int, stride: int) -> None:
    """maxpool_backward on one block of images, writing into dx."""
    Ho, Wo = out.shape[2], out.shape[3]
    offsets = [(p, q) for p in range(size) for q in range(size)]
    taken = None
    for k, (p, q) in enumerate(offsets):
        if taken is None:
            hit = _offset(x, p, q, stride, Ho, Wo) == out
            taken = hit.copy() if len(offsets) > 1 else hit
        elif k == len(offsets) - 1:
            hit = ~taken  # the windows left over have their maximum here
        else:
            hit = _offset(x, p, q, stride, Ho, Wo) == out
            hit &= ~taken
            taken |= hit
        target = _offset(dx, p, q, stride, Ho, Wo)
        if stride >= size:  # windows do not overlap: each input gets at most one dout
            np.multiply(dout, hit, out=target)
        else:
            target += dout * hit
