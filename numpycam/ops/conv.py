"""2-D convolution (cross-correlation, as in every deep-learning framework).

Shapes: x (N, C, H, W), W (F, C, HH, WW), b (F,), out (N, F, H', W') with

    H' = (H + 2 * pad - HH) // stride + 1        W' = (W + 2 * pad - WW) // stride + 1
    out[n, f, i, j] = b[f] + sum_{c, p, q} W[f, c, p, q] * x_pad[n, c, i*stride + p, j*stride + q]

Two implementations: ``conv_forward`` / ``conv_backward`` are the vectorised path users run;
``conv_forward_naive`` / ``conv_backward_naive`` are the readable loops the tests compare it with.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def out_size(n: int, k: int, stride: int, pad: int) -> int:
    """Output length of a convolution or pooling along one axis: (n + 2 pad - k) // stride + 1."""
    return (n + 2 * pad - k) // stride + 1


class ConvCache(NamedTuple):
    cols: np.ndarray  # (N*H'*W', HH*WW*C) the unrolled input patches
    x_shape: tuple  # (N, C, H, W)
    W: np.ndarray  # (F, C, HH, WW)
    stride: int
    pad: int


def _pad_nhwc(x: np.ndarray, pad: int) -> np.ndarray:
    """Copy x (N, C, H, W) into a zero-padded channels-last array (N, H + 2p, W + 2p, C)."""
    N, C, H, W = x.shape
    xp = np.zeros((N, H + 2 * pad, W + 2 * pad, C), dtype=x.dtype)
    xp[:, pad : pad + H, pad : pad + W, :] = x.transpose(0, 2, 3, 1)
    return xp


def conv_forward(x, W, b, stride: int = 1, pad: int = 0):
    """Vectorised convolution: one im2col copy and one BLAS matmul.

    Why channels-last: in an (N, H, W, C) array the patch row x[n, i+p, j:j+WW, :] is one
    contiguous run of WW*C numbers, so unrolling the patches into ``cols`` copies long runs
    instead of gathering single numbers, and the matmul output (N*H'*W', F) is already the
    result in (N, H', W', F) order; we return it as an (N, F, H', W') view without a copy.
    """
    N, C, H, Wd = x.shape
    F, _, HH, WW = W.shape
    Ho, Wo = out_size(H, HH, stride, pad), out_size(Wd, WW, stride, pad)
    xp = _pad_nhwc(x, pad)  # (N, Hp, Wp, C)
    win = sliding_window_view(xp, (HH, WW), axis=(1, 2))  # (N, Hp-HH+1, Wp-WW+1, C, HH, WW)
    win = win[:, : Ho * stride : stride, : Wo * stride : stride]  # (N, H', W', C, HH, WW)
    cols = win.transpose(0, 1, 2, 4, 5, 3).reshape(N * Ho * Wo, HH * WW * C)  # the one copy
    Wm = W.transpose(0, 2, 3, 1).reshape(F, HH * WW * C)  # (F, HH*WW*C), same patch order
    out = cols @ Wm.T  # (N*H'*W', F)
    out += b
    out = out.reshape(N, Ho, Wo, F).transpose(0, 3, 1, 2)  # (N, F, H', W') view
    return out, ConvCache(cols, x.shape, W, stride, pad)


def conv_backward(dout, cache: ConvCache, need_dx: bool = True):
    """Gradients of the vectorised convolution: (dx, dW, db); dx is None when not needed.

    dW = cols^T @ dout and dcols = dout @ W are matmuls; dcols is folded back onto the
    padded input (col2im) with one strided add per kernel offset (HH*WW adds, not a loop over
    pixels), because overlapping patches each add their share to the same input pixel.
    """
    cols, (N, C, H, Wd), W, stride, pad = cache
    F, _, HH, WW = W.shape
    Ho, Wo = dout.shape[2], dout.shape[3]
    d = dout.transpose(0, 2, 3, 1).reshape(N * Ho * Wo, F)  # (N*H'*W', F)
    db = d.sum(axis=0)
    dW = (cols.T @ d).reshape(HH, WW, C, F).transpose(3, 2, 0, 1)  # (F, C, HH, WW)
    if not need_dx:
        return None, np.ascontiguousarray(dW), db
    Wm = W.transpose(0, 2, 3, 1).reshape(F, HH * WW * C)
    dcols = (d @ Wm).reshape(N, Ho, Wo, HH, WW, C)
    dxp = np.zeros((N, H + 2 * pad, Wd + 2 * pad, C), dtype=dcols.dtype)
    for p in range(HH):
        for q in range(WW):
            dxp[:, p : p + stride * Ho : stride, q : q + stride * Wo : stride, :] += dcols[
                :, :, :, p, q, :
            ]
    dx = dxp[:, pad : pad + H, pad : pad + Wd, :].transpose(0, 3, 1, 2)  # (N, C, H, W)
    return dx, np.ascontiguousarray(dW), db


def conv_forward_naive(x, W, b, stride: int = 1, pad: int = 0):
    """Reference convolution written as the defining sum, one output number at a time."""
    N, C, H, Wd = x.shape
    F, _, HH, WW = W.shape
    Ho, Wo = out_size(H, HH, stride, pad), out_size(Wd, WW, stride, pad)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, Ho, Wo), dtype=np.result_type(x, W))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    patch = xp[n, :, i * stride : i * stride + HH, j * stride : j * stride + WW]
                    out[n, f, i, j] = np.sum(patch * W[f]) + b[f]
    return out, (x, W, stride, pad)


def conv_backward_naive(dout, cache):
    """Reference gradients: each output number sends dout back to the patch that made it."""
    x, W, stride, pad = cache
    N, C, H, Wd = x.shape
    F, _, HH, WW = W.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dW = np.zeros_like(xp, dtype=dout.dtype), np.zeros_like(W, dtype=dout.dtype)
    db = dout.sum(axis=(0, 2, 3))
    for n in range(N):
        for f in range(F):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    rows = slice(i * stride, i * stride + HH)
                    cols = slice(j * stride, j * stride + WW)
                    dW[f] += dout[n, f, i, j] * xp[n, :, rows, cols]
                    dxp[n, :, rows, cols] += dout[n, f, i, j] * W[f]
    dx = dxp[:, :, pad : pad + H, pad : pad + Wd]
    return dx, dW, db
