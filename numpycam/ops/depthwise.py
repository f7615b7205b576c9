"""Depthwise convolution: each channel is filtered by its own k x k kernel; channels never mix.

Shapes: x (N, C, H, W), W (C, HH, WW), b (C,), out (N, C, H', W'), padding (top, bottom, left,
right) of zeros, then

    H' = (H + top + bottom - HH) // stride + 1       W' = (W + left + right - WW) // stride + 1
    out[n, c, i, j] = b[c] + sum_{p, q} W[c, p, q] * x_pad[n, c, i*stride + p, j*stride + q]

Layout (why not im2col): a depthwise filter does only HH*WW multiply-adds per output number, so
the cost is moving memory, not arithmetic. The fast path never builds patches: it makes one
rearranged copy of the padded input, the ``stride**2`` "phases" x_pad[:, :, u::s, v::s] (for
stride 1 that is just x_pad), each flattened per channel over a grid of width Wq. Then the tap
(p, q) = (a s + u, b s + v) of every output pixel (i, j) reads phase (u, v) at flat position
(i + a) Wq + (j + b) = (i Wq + j) + (a Wq + b): one constant shift. So each kernel tap is ONE
whole-array multiply-add of contiguous runs (``out_flat += W[:, p, q] * phase[:, :, shift:]``)
computed on the wide grid (N, C, H', Wq); the columns j >= W' are junk read across a row end and
are cut off at the end. Backward uses the same shifts: dW sums products over the same runs
(dout laid on the wide grid with zeros in the junk columns), and dx adds each tap's share into
the phases, which are then put back in place (the transposed convolution).

``depthwise_forward_naive`` / ``depthwise_backward_naive`` are the defining loops the tests use.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class DepthwiseCache(NamedTuple):
    phases: np.ndarray  # (s, s, N, C, Hq + 1, Wq) the padded input split by stride phase
    x_shape: tuple  # (N, C, H, W)
    W: np.ndarray  # (C, HH, WW)
    stride: int
    pad: tuple  # (top, bottom, left, right)
    out_hw: tuple  # (H', W')


def out_hw(H: int, W: int, k: tuple, stride: int, pad: tuple) -> tuple[int, int]:
    """(H', W') of a depthwise convolution (same formula as any convolution)."""
    top, bottom, left, right = pad
    return (H + top + bottom - k[0]) // stride + 1, (W + left + right - k[1]) // stride + 1


def _phases(x, stride: int, pad: tuple, dt) -> np.ndarray:
    """The zero-padded x split into its stride phases: P[u, v] = x_pad[:, :, u::s, v::s].

    Shape (s, s, N, C, Hq + 1, Wq) with Hq = ceil(Hp / s), Wq = ceil(Wp / s); the extra zero
    row keeps every shifted run of length H' Wq inside the array.
    """
    N, C, H, W = x.shape
    top, bottom, left, right = pad
    s = stride
    Hp, Wp = H + top + bottom, W + left + right
    Hq, Wq = -(-Hp // s), -(-Wp // s)
    P = np.zeros((s, s, N, C, Hq + 1, Wq), dtype=dt)
    for u in range(s):
        for v in range(s):
            # rows r of x_pad with r % s == u that hold x: r = top + h, so h = r - top
            r0 = (u - top) % s  # first row h of x with (top + h) % s == u
            c0 = (v - left) % s
            rows, cols = x[:, :, r0::s, c0::s].shape[2:]
            i0, j0 = (top + r0) // s, (left + c0) // s
            P[u, v, :, :, i0 : i0 + rows, j0 : j0 + cols] = x[:, :, r0::s, c0::s]
    return P


def depthwise_forward(x, W, b=None, stride: int = 1, pad: tuple = (0, 0, 0, 0)):
    """Fast depthwise convolution (see the module docstring): (out, cache)."""
    N, C, H, Wd = x.shape
    _, HH, WW = W.shape
    s = stride
    Ho, Wo = out_hw(H, Wd, (HH, WW), s, pad)
    dt = np.result_type(x.dtype, W.dtype)
    P = _phases(x, s, pad, dt)
    Wq = P.shape[-1]
    L = Ho * Wq
    flat = P.reshape(s, s, N, C, -1)
    wide = np.empty((N, C, L), dtype=dt)
    tmp = np.empty((N, C, L), dtype=dt)
    Wt = W.astype(dt, copy=False)
    for t in range(HH * WW):
        p, q = divmod(t, WW)
        shift = (p // s) * Wq + q // s
        tap = flat[p % s, q % s, :, :, shift : shift + L]
        if t == 0:  # the first tap writes, the others add
            np.multiply(tap, Wt[:, p, q, None], out=wide)
        else:
            np.multiply(tap, Wt[:, p, q, None], out=tmp)
            wide += tmp
    # the W' real columns of the wide grid: a view (the next layer reads it in one pass anyway)
    out = wide.reshape(N, C, Ho, Wq)[:, :, :, :Wo]
    if b is not None:
        out = out + b.astype(dt, copy=False)[:, None, None]
    return out, DepthwiseCache(P, x.shape, W, s, tuple(pad), (Ho, Wo))


def depthwise_backward(dout, cache: DepthwiseCache, need_dx: bool = True, param_grads: bool = True):
    """(dx, dW, db) of the fast path; dx is None without ``need_dx``, dW, db None without
    ``param_grads`` (explanations need neither the weights' gradients nor their cost)."""
    P, (N, C, H, Wd), W, s, pad, (Ho, Wo) = cache
    _, HH, WW = W.shape
    dt = np.result_type(dout.dtype, P.dtype)
    Wq = P.shape[-1]
    L = Ho * Wq
    g = np.zeros((N, C, Ho, Wq), dtype=dt)  # dout on the wide grid; junk columns stay 0
    g[:, :, :, :Wo] = dout
    g = g.reshape(N, C, L)
    flat = P.reshape(s, s, N, C, -1)
    dW = db = dx = None
    if param_grads:
        dW = np.empty(W.shape, dtype=dt)
        for p in range(HH):
            for q in range(WW):
                shift = (p // s) * Wq + q // s
                dW[:, p, q] = np.einsum("ncl,ncl->c", g, flat[p % s, q % s, :, :, shift : shift + L])
        db = dout.sum(axis=(0, 2, 3))
    if need_dx:
        dP = np.zeros(P.shape, dtype=dt)
        dflat = dP.reshape(s, s, N, C, -1)
        tmp = np.empty((N, C, L), dtype=dt)
        Wt = W.astype(dt, copy=False)
        for p in range(HH):
            for q in range(WW):
                shift = (p // s) * Wq + q // s
                np.multiply(g, Wt[:, p, q, None], out=tmp)
                dflat[p % s, q % s, :, :, shift : shift + L] += tmp
        dx = _unphase(dP, (N, C, H, Wd), s, pad)
    return dx, dW, db


def _unphase(dP, x_shape, s: int, pad: tuple) -> np.ndarray:
    """The inverse of ``_phases`` for gradients: dx (N, C, H, W) read back from its phases."""
    N, C, H, W = x_shape
    top, _, left, _ = pad
    dx = np.empty(x_shape, dtype=dP.dtype)
    for u in range(s):
        for v in range(s):
            r0, c0 = (u - top) % s, (v - left) % s
            rows, cols = dx[:, :, r0::s, c0::s].shape[2:]
            i0, j0 = (top + r0) // s, (left + c0) // s
            dx[:, :, r0::s, c0::s] = dP[u, v, :, :, i0 : i0 + rows, j0 : j0 + cols]
    return dx


def depthwise_forward_naive(x, W, b=None, stride: int = 1, pad: tuple = (0, 0, 0, 0)):
    """Reference: the defining sum, one output number at a time."""
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
    """Reference gradients (dx, dW, db): each output number sends dout back to its patch."""
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
