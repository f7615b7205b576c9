"""The fast 2-D convolution the layers run: im2col and one matmul per block of images.

Same maths as the loops of :mod:`numpycam.ops.conv` (the definition, with the shapes and the
output-size formula), and the tests check both give the same numbers; here x (N, C, H, W),
W (D, C, HH, WW), b (D,), out (N, D, H', W') and R = C HH WW numbers per patch. Each image's
patches are laid out as a matrix cols (R, H'*W'), so out (D, H'*W') = W (D, R) @ cols, and
backward is two more matmuls with the same patches. Everything here is about memory: the patch
matrices are built a block of images at a time, and the functions say why each is shaped so.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from numpycam.ops.conv import out_size


class ConvCache(NamedTuple):
    xp: np.ndarray  # (N, C, H + 2p, W + 2p) the zero-padded input
    x_shape: tuple  # (N, C, H, W)
    W: np.ndarray  # (D, C, HH, WW)
    stride: int
    pad: int


# The patch matrices are built a block of images at a time, blocks of about this many bytes (at
# least one image), so memory stays bounded at any batch size and a block is still in the core's
# cache when the matmul reads it back. Measured on the 2-core development machine, one thread,
# gap_cnn at batch 64: a training step took ~122 ms with 256 KB to 1 MB blocks, 127 ms with 2 MB
# and 139 ms with 4 MB. It changes speed and float round-off only.
BLOCK_BYTES = 1 << 20


def _pad(x: np.ndarray, pad: int, dtype) -> np.ndarray:
    """x (N, C, H, W) copied into a zeroed (N, C, H + 2p, W + 2p) array of ``dtype``."""
    N, C, H, W = x.shape
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=dtype)
    xp[:, :, pad : pad + H, pad : pad + W] = x
    return xp


def image_blocks(N: int, image_bytes: int, block_bytes: int) -> list[slice]:
    """Slices of the batch axis of about ``block_bytes`` each (at least one image per slice);
    all but the last hold the same number of images. Used by conv and by max pool."""
    per = max(1, min(N, block_bytes // max(1, image_bytes)))
    return [slice(n0, min(N, n0 + per)) for n0 in range(0, N, per)]


def _unfold(xp, HH: int, WW: int, stride: int, Ho: int, Wo: int, buf) -> np.ndarray:
    """The patch matrices of a block of images: cols (n, R = C*HH*WW, H'*W') with

        cols[n, (c, p, q), (i, j)] = xp[n, c, i*stride + p, j*stride + q]

    written into ``buf``. All of it is one copy of a 6-D strided view of xp (no Python loop):
    the axes (i, j) of that view step through the image with the stride, and (p, q) step one
    pixel, so for stride 1 the innermost axis j reads a contiguous run of W' numbers.
    """
    nb, C = xp.shape[:2]
    s0, s1, s2, s3 = xp.strides
    view = as_strided(xp, (nb, C, HH, WW, Ho, Wo), (s0, s1, s2, s3, s2 * stride, s3 * stride),
                      writeable=False)
    cols = buf[: view.size].reshape(view.shape)
    cols[...] = view
    return cols.reshape(nb, C * HH * WW, Ho * Wo)


def conv_forward(x, W, b, stride: int = 1, pad: int = 0):
    """Vectorised convolution: for each image, out (D, H'*W') = W (D, R) @ cols (R, H'*W').

    Why shaped so: with the patch matrix laid out (R, H'*W') - im2col "channels-first" - the
    product lands directly in (N, D, H', W') order, so no transposing copy is made on the way
    in or out, and building it copies runs of W' numbers at a time. The R = C*HH*WW rows of W
    are its own memory order, so W is used as stored. Only the padded input is kept for
    backward; the patches are rebuilt there. ``b=None``: no bias. A 1x1 convolution with
    stride 1 and no padding is a plain matmul on the image as it is.
    """
    N, C, H, Wd = x.shape
    D, _, HH, WW = W.shape
    Ho, Wo = out_size(H, HH, stride, pad), out_size(Wd, WW, stride, pad)
    dt = np.result_type(x.dtype, W.dtype)
    R = C * HH * WW
    Wm = W.reshape(D, R).astype(dt, copy=False)
    if HH == WW == stride == 1 and pad == 0:
        # 1x1 ("pointwise"): the image itself is the patch matrix, one matmul, no copy at all
        xp = x.astype(dt, copy=False)
        out = np.matmul(Wm, xp.reshape(N, C, H * Wd))  # (N, D, H*W)
        if b is not None:
            out += b.astype(dt, copy=False)[:, None]
        return out.reshape(N, D, Ho, Wo), ConvCache(xp, x.shape, W, stride, pad)
    xp = _pad(x, pad, dt)
    out = np.empty((N, D, Ho * Wo), dtype=dt)
    bias = None if b is None else b.astype(dt, copy=False)[:, None]
    blocks = image_blocks(N, R * Ho * Wo * dt.itemsize, BLOCK_BYTES)
    buf = np.empty((blocks[0].stop - blocks[0].start) * R * Ho * Wo, dtype=dt)
    for n in blocks:
        o = out[n]
        np.matmul(Wm, _unfold(xp[n], HH, WW, stride, Ho, Wo, buf), out=o)
        if bias is not None:
            o += bias  # while the block is still in cache
    return out.reshape(N, D, Ho, Wo), ConvCache(xp, x.shape, W, stride, pad)


def conv_backward(dout, cache: ConvCache, need_dx: bool = True, need_dW: bool = True):
    """Gradients of the vectorised convolution: (dx, dW, db); dx is None when not needed, dW and
    db None without ``need_dW`` (explanations and frozen layers skip the patches and the dW matmul).

    Per image, with d = dout as (D, H'*W'):  dW^T (R, D) += cols @ d^T, the patches rebuilt block
    by block as in forward; and dx is the transposed convolution: G = W^T @ d (R, H'*W') holds
    what every output pixel sends back to each of the HH*WW pixels of its patch, which
    ``_fold`` adds into place (col2im). For stride 1 (every conv of the shipped models), d is
    first laid on the padded width so that ``_fold_rows`` can add whole contiguous rows instead
    (measured: conv backward 8-11 % faster than ``_fold`` for the three conv shapes of gap_cnn).
    """
    xp, (N, C, H, Wd), W, stride, pad = cache
    D, _, HH, WW = W.shape
    Ho, Wo = dout.shape[2], dout.shape[3]
    dt = np.result_type(dout.dtype, xp.dtype)
    d = np.ascontiguousarray(dout, dtype=dt).reshape(N, D, Ho * Wo)
    xp = xp.astype(dt, copy=False)
    R = C * HH * WW
    Wm = W.reshape(D, R).astype(dt, copy=False)
    if HH == WW == stride == 1 and pad == 0:
        cols = xp.reshape(N, C, H * Wd)
        dx = np.matmul(Wm.T, d).reshape(N, C, H, Wd) if need_dx else None
        if not need_dW:
            return dx, None, None
        dW = np.tensordot(d, cols, axes=([0, 2], [0, 2])).reshape(D, C, 1, 1)  # sum_n d cols^T
        return dx, dW, d.sum(axis=(0, 2))
    blocks = image_blocks(N, R * Ho * Wo * dt.itemsize, BLOCK_BYTES)
    per = blocks[0].stop - blocks[0].start
    rows = stride == 1 and need_dx
    Wp = xp.shape[3]
    # the patches of a block, then (once dW has used them) its G; G is (R, H'*Wp) for stride 1
    buf = np.empty(per * R * Ho * (Wp if rows else Wo), dtype=dt)
    dWt = np.zeros((R, D), dtype=dt)
    dxp = np.zeros(xp.shape, dtype=dt) if need_dx else None
    if rows:
        grid = np.zeros((per, D, Ho, Wp), dtype=dt)  # d on the padded width; columns >= W' stay 0
    for n in blocks:
        nb = n.stop - n.start
        if need_dW:
            cols = _unfold(xp[n], HH, WW, stride, Ho, Wo, buf)
            dWt += np.matmul(cols, d[n].transpose(0, 2, 1)).sum(axis=0)
        if rows:
            g = grid[:nb]
            g[..., :Wo] = d[n].reshape(nb, D, Ho, Wo)
            G = np.matmul(Wm.T, g.reshape(nb, D, Ho * Wp), out=buf[: nb * R * Ho * Wp].reshape(nb, R, -1))
            _fold_rows(G.reshape(nb, C, HH, WW, Ho * Wp), dxp[n])
        elif need_dx:
            G = np.matmul(Wm.T, d[n], out=buf[: nb * R * Ho * Wo].reshape(nb, R, -1))
            _fold(G.reshape(nb, C, HH, WW, Ho, Wo), dxp[n], stride)
    dW = np.ascontiguousarray(dWt.T).reshape(D, C, HH, WW) if need_dW else None
    db = d.sum(axis=(0, 2)) if need_dW else None
    if not need_dx:
        return None, dW, db
    return dxp[:, :, pad : pad + H, pad : pad + Wd], dW, db


def _fold(G, dxp, stride: int) -> None:
    """col2im: dxp[n, c, i*s + p, j*s + q] += G[n, c, p, q, i, j], one strided add per (p, q)."""
    _, _, HH, WW, Ho, Wo = G.shape
    for p in range(HH):
        for q in range(WW):
            dxp[:, :, p : p + stride * (Ho - 1) + 1 : stride,
                q : q + stride * (Wo - 1) + 1 : stride] += G[:, :, p, q]


def _fold_rows(G, dxp) -> None:
    """col2im for stride 1, where G was computed from d laid on the padded width Wp.

    Flattened, pixel (i + p, j + q) of the padded image is entry (i*Wp + j) + (p*Wp + q): every
    kernel offset is one constant shift of the flat index, so each offset's contribution is one
    add of contiguous runs, dxp_flat[:, :, s : s + L] += G[:, :, p, q, :L] with s = p*Wp + q.
    The entries of G at j >= W' came from the zero columns of d and add nothing; the last
    WW - 1 of them would run past the image and are cut (L = H'*Wp - (WW - 1)).
    """
    nb, C, HH, WW, _ = G.shape
    Wp = dxp.shape[3]
    flat = dxp.reshape(nb, C, -1)
    L = (dxp.shape[2] - HH + 1) * Wp - (WW - 1)
    for p in range(HH):
        for q in range(WW):
            s = p * Wp + q
            flat[:, :, s : s + L] += G[:, :, p, q, :L]
