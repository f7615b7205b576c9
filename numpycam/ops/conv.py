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
from numpy.lib.stride_tricks import as_strided


def out_size(n: int, k: int, stride: int, pad: int) -> int:
    """Output length of a convolution or pooling along one axis: (n + 2 pad - k) // stride + 1."""
    return (n + 2 * pad - k) // stride + 1


class ConvCache(NamedTuple):
    xp: np.ndarray  # (N, H + 2p, W + 2p, C) the zero-padded input, channels-last
    x_shape: tuple  # (N, C, H, W)
    W: np.ndarray  # (F, C, HH, WW)
    stride: int
    pad: int


# Patches are unrolled one block of output rows at a time, blocks of about this many bytes, so
# memory stays bounded at any batch size (nothing as large as (N*H'*W', HH*WW*C) is allocated)
# and a block is still in cache when the matmul reads it. But every block is one multi-threaded
# BLAS call, and when other programs keep the cores busy each call waits for its helper thread
# to be scheduled. Measured (batch 64, 64x64): one thread, CPU time of a training step 136 /
# 151 / 189 ms with 1 / 4 / 16 MB blocks; two threads on busy cores, conv2 forward 189 / 133 /
# 84 ms. 4 MB is the compromise. It changes speed and float round-off only.
BLOCK_BYTES = 1 << 22


def _pad_nhwc(x: np.ndarray, pad: int, dtype) -> np.ndarray:
    """Copy x (N, C, H, W) into a zero-padded channels-last array (N, H + 2p, W + 2p, C)."""
    N, C, H, W = x.shape
    xp = np.empty((N, H + 2 * pad, W + 2 * pad, C), dtype=dtype)
    if pad:  # zero only the border, the inside is overwritten
        xp[:, :pad] = 0
        xp[:, H + pad :] = 0
        xp[:, pad : H + pad, :pad] = 0
        xp[:, pad : H + pad, W + pad :] = 0
    xp[:, pad : pad + H, pad : pad + W, :] = x.transpose(0, 2, 3, 1)
    return xp


def _blocks(N: int, Ho: int, Wo: int, row_bytes: int):
    """(n0, n1, i0, i1): images n0:n1, output rows i0:i1, about BLOCK_BYTES of patches each."""
    rows = max(1, BLOCK_BYTES // max(1, row_bytes))
    if rows >= Ho:  # several whole images per block
        per = rows // Ho
        for n0 in range(0, N, per):
            yield n0, min(N, n0 + per), 0, Ho
    else:  # large images: part of one image per block
        for n in range(N):
            for i0 in range(0, Ho, rows):
                yield n, n + 1, i0, min(Ho, i0 + rows)


def _patches(xp, block, HH, WW, stride, Wo, buf):
    """The patch matrix of one block: row (n, i, j), column (p, q, c) = xp[n, i*s + p, j*s + q, c].

    In channels-last memory the numbers (q, c) of patch row p are one contiguous run of WW*C
    values, so we copy HH strided views whose innermost axis is such a run, instead of gathering
    HH*WW*C single numbers per output pixel.
    """
    n0, n1, i0, i1 = block
    C = xp.shape[3]
    s0, s1, s2, s3 = xp.strides
    cols = buf[: (n1 - n0) * (i1 - i0) * Wo * HH * WW * C].reshape(n1 - n0, i1 - i0, Wo, HH, WW * C)
    for p in range(HH):
        run = as_strided(xp[n0:n1, i0 * stride + p :], shape=cols.shape[:3] + (WW * C,),
                         strides=(s0, s1 * stride, s2 * stride, s3), writeable=False)
        cols[:, :, :, p, :] = run
    return cols.reshape(-1, HH * WW * C)


def conv_forward(x, W, b, stride: int = 1, pad: int = 0):
    """Vectorised convolution: patches unrolled block by block, one BLAS matmul per block.

    Why channels-last: the patch copies move contiguous runs (see ``_patches``) and the matmul
    output (rows (n, i, j), columns f) is already the result in (N, H', W', F) order, so we
    return it as an (N, F, H', W') view without a transposing copy; the ops after a conv
    (ReLU, pooling) keep that memory order, and the next conv's padding copy is then a plain
    row copy. Only the padded input is kept for backward; the patches are rebuilt there.
    """
    N, C, H, Wd = x.shape
    F, _, HH, WW = W.shape
    Ho, Wo = out_size(H, HH, stride, pad), out_size(Wd, WW, stride, pad)
    dt = np.result_type(x.dtype, W.dtype)
    xp = _pad_nhwc(x, pad, dt)  # (N, Hp, Wp, C)
    Wm = W.transpose(2, 3, 1, 0).reshape(HH * WW * C, F).astype(dt, copy=False)  # rows (p, q, c)
    out = np.empty((N, Ho, Wo, F), dtype=dt)
    row_bytes = Wo * HH * WW * C * dt.itemsize
    buf = np.empty(max(1, min(N * Ho, max(1, BLOCK_BYTES // row_bytes))) * Wo * HH * WW * C, dt)
    for blk in _blocks(N, Ho, Wo, row_bytes):
        n0, n1, i0, i1 = blk
        o = out[n0:n1, i0:i1].reshape(-1, F)  # a contiguous block of out
        np.matmul(_patches(xp, blk, HH, WW, stride, Wo, buf), Wm, out=o)
        o += b  # while the block is still in cache
    return out.transpose(0, 3, 1, 2), ConvCache(xp, x.shape, W, stride, pad)


def conv_backward(dout, cache: ConvCache, need_dx: bool = True):
    """Gradients of the vectorised convolution: (dx, dW, db); dx is None when not needed.

    dW = patches^T @ dout, rebuilt block by block as in forward. dx (``_conv_dx``) is the
    transpose of the convolution: every output pixel sends dout @ W back to its patch.
    """
    xp, (N, C, H, Wd), W, stride, pad = cache
    F, _, HH, WW = W.shape
    Ho, Wo = dout.shape[2], dout.shape[3]
    dt = np.result_type(dout.dtype, xp.dtype)
    d = np.ascontiguousarray(dout.transpose(0, 2, 3, 1), dtype=dt)  # free if dout is NHWC
    xp = xp.astype(dt, copy=False)
    K = HH * WW * C
    dW = np.zeros((K, F), dtype=dt)
    row_bytes = Wo * K * dt.itemsize
    buf = np.empty(max(1, min(N * Ho, max(1, BLOCK_BYTES // row_bytes))) * Wo * K, dt)
    for blk in _blocks(N, Ho, Wo, row_bytes):
        n0, n1, i0, i1 = blk
        dW += _patches(xp, blk, HH, WW, stride, Wo, buf).T @ d[n0:n1, i0:i1].reshape(-1, F)
    dW = np.ascontiguousarray(dW.reshape(HH, WW, C, F).transpose(3, 2, 0, 1))  # (F, C, HH, WW)
    # einsum sums the N*H'*W' rows in one C loop; d.sum(axis=0) is ~10x slower for small F.
    db = np.einsum("mf->f", d.reshape(-1, F))
    if not need_dx:
        return None, dW, db
    dxp = _conv_dx(d, W.astype(dt, copy=False), xp.shape, stride)
    dx = dxp[:, pad : pad + H, pad : pad + Wd, :].transpose(0, 3, 1, 2)  # (N, C, H, W) view
    return dx, dW, db


def _conv_dx(d, W, xp_shape, stride):
    """Gradient w.r.t. the padded input, (N, Hp, Wp, C), from d = dout in (N, H', W', F).

    Stride 1 (the common case) works on the padded grid flattened to rows r = (n, y, x): the
    kernel offset (p, q) is then the constant row shift p*Wp + q. With d written on that grid
    (zeros off the outputs), one matmul G = d_flat @ W gives every offset's contribution and
    dx_flat[r + p*Wp + q] += G[r, (p, q)] is one add of two blocks of rows per offset - no
    scatter into the 4-D image (measured: ~1.5x faster than the col2im below). Images go a
    block at a time (they never mix).  Other strides use the textbook col2im: one strided add
    per offset.
    """
    N, Hp, Wp, C = xp_shape
    _, Ho, Wo, F = d.shape
    HH, WW = W.shape[2], W.shape[3]
    dxp = np.zeros(xp_shape, dtype=d.dtype)
    if stride == 1:
        Wg = W.transpose(0, 2, 3, 1).reshape(F, HH * WW * C)  # columns (p, q, c)
        shifts = [p * Wp + q for p in range(HH) for q in range(WW)]
        per = max(1, BLOCK_BYTES // (Hp * Wp * HH * WW * C * d.itemsize))
        grid = np.zeros((min(per, N), Hp, Wp, F), dtype=d.dtype)
        for n0 in range(0, N, per):
            n1 = min(N, n0 + per)
            g = grid[: n1 - n0]
            g[:, :Ho, :Wo] = d[n0:n1]  # the rest of the grid stays zero
            R = (n1 - n0) * Hp * Wp - shifts[-1]  # rows past R are off the outputs
            G = (g.reshape(-1, F)[:R] @ Wg).reshape(R, HH * WW, C)
            out = dxp[n0:n1].reshape(-1, C)
            for t, s in enumerate(shifts):
                out[s : s + R] += G[:, t]
        return dxp
    K = HH * WW * C
    Wm = W.transpose(0, 2, 3, 1).reshape(F, K)
    for blk in _blocks(N, Ho, Wo, Wo * K * d.itemsize):
        n0, n1, i0, i1 = blk
        dcols = (d[n0:n1, i0:i1].reshape(-1, F) @ Wm).reshape(n1 - n0, i1 - i0, Wo, HH, WW, C)
        r0 = i0 * stride
        for p in range(HH):
            for q in range(WW):
                dxp[n0:n1, r0 + p : r0 + p + stride * (i1 - i0) : stride,
                    q : q + stride * Wo : stride] += dcols[:, :, :, p, q, :]
    return dxp


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
