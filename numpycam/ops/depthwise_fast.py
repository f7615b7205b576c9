"""The fast depthwise convolution the layer runs: one whole-array multiply-add per kernel tap.

Same maths as the loops of :mod:`numpycam.ops.depthwise` (the definition, with the shapes and
the output-size formula), and the tests check both give the same numbers.

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
the phases, which are then put back in place (the transposed convolution). For small maps with
many channels the same loop runs channels-last (phases (s, s, N, Hq + 1, Wq, C)), where each
multiply-add sweeps all channels at once (``use_channels_last`` has the rule and timings).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from numpycam.ops.depthwise import out_hw


class DepthwiseCache(NamedTuple):
    phases: np.ndarray  # (s, s, N, C, Hq + 1, Wq), or (s, s, N, Hq + 1, Wq, C) channels-last
    x_shape: tuple  # (N, C, H, W)
    W: np.ndarray  # (C, HH, WW)
    stride: int
    pad: tuple  # (top, bottom, left, right)
    out_hw: tuple  # (H', W')
    channels_last: bool


def use_channels_last(C: int, L: int) -> bool:
    """Layout rule: channels-last when 4 C >= L = H' Wq, the length of a channel's run.

    Each tap is a multiply-add whose innermost loop runs over a channel's L positions
    (channels-first) or over the C channels (channels-last, with the weights a contiguous (C,)
    vector). Short runs waste time, so small maps with many channels go channels-last.
    Measured on one thread (forward of the tap loop plus one BatchNorm-like multiply):
    672 channels at 14 x 14, 5 x 5: 3.0 -> 1.5 ms; 1152 at 7 x 7: 1.4 -> 0.7 ms; 240 at 28 x 28:
    3.4 -> 2.3 ms; but 144 at 56 x 56: 1.3 -> 2.6 ms and 32 at 112 x 112: 0.9 -> 2.0 ms.
    """
    return 4 * C >= L


def _phase_slices(x_shape, s: int, pad: tuple):
    """For each phase (u, v): where x's rows/columns r0::s, c0::s land in P[u, v]."""
    N, C, H, W = x_shape
    top, _, left, _ = pad
    for u in range(s):
        for v in range(s):
            # rows r of x_pad with r % s == u that hold x: r = top + h, the first h is r0
            r0, c0 = (u - top) % s, (v - left) % s
            rows, cols = len(range(r0, H, s)), len(range(c0, W, s))
            i0, j0 = (top + r0) // s, (left + c0) // s
            yield u, v, (slice(r0, None, s), slice(c0, None, s)), (slice(i0, i0 + rows), slice(j0, j0 + cols))


def _phases(x, stride: int, pad: tuple, dt, cl: bool) -> np.ndarray:
    """The zero-padded x split into its stride phases: P[u, v] = x_pad[:, :, u::s, v::s].

    Shape (s, s, N, C, Hq + 1, Wq) with Hq = ceil(Hp / s), Wq = ceil(Wp / s), or with the
    channel axis last when ``cl``; the extra zero row keeps every shifted run inside the array.
    """
    N, C, H, W = x.shape
    top, bottom, left, right = pad
    s = stride
    Hq, Wq = -(-(H + top + bottom) // s), -(-(W + left + right) // s)
    P = np.zeros((s, s, N, Hq + 1, Wq, C) if cl else (s, s, N, C, Hq + 1, Wq), dtype=dt)
    for u, v, (rs, cs), (ri, ci) in _phase_slices(x.shape, s, pad):
        if cl:
            P[u, v, :, ri, ci, :] = x[:, :, rs, cs].transpose(0, 2, 3, 1)
        else:
            P[u, v, :, :, ri, ci] = x[:, :, rs, cs]
    return P


def _unphase(dP, x_shape, s: int, pad: tuple, cl: bool) -> np.ndarray:
    """The inverse of ``_phases`` for gradients: dx (N, C, H, W) read back from its phases."""
    dx = np.empty(x_shape, dtype=dP.dtype)
    for u, v, (rs, cs), (ri, ci) in _phase_slices(x_shape, s, pad):
        dx[:, :, rs, cs] = dP[u, v, :, ri, ci, :].transpose(0, 3, 1, 2) if cl else dP[u, v, :, :, ri, ci]
    return dx


def _taps(HH: int, WW: int, s: int, Wq: int):
    """(p, q, u, v, shift) of every kernel tap: phase (u, v) read at a constant flat shift."""
    for p in range(HH):
        for q in range(WW):
            yield p, q, p % s, q % s, (p // s) * Wq + q // s


def _tap_weights(W, dt, cl: bool) -> np.ndarray:
    """W[:, p, q] for tap t = p WW + q as row t: (T, C) contiguous rows for channels-last (a
    strided weight vector in the inner loop would be slow), or (T, C, 1) to broadcast over L."""
    T = W.shape[1] * W.shape[2]
    Wt = np.ascontiguousarray(W.reshape(W.shape[0], T).T, dtype=dt)  # (T, C)
    return Wt if cl else Wt[:, :, None]


def _grid(P, cl: bool):
    """The phases with each channel's grid flattened: (s, s, N, C, R) or (s, s, N, R, C)."""
    s, N = P.shape[0], P.shape[2]
    return P.reshape(s, s, N, -1, P.shape[-1]) if cl else P.reshape(s, s, N, P.shape[3], -1)


def _run(flat_uv, shift: int, L: int, cl: bool):
    """The L positions of every channel starting at ``shift``: (N, L, C) or (N, C, L)."""
    return flat_uv[:, shift : shift + L] if cl else flat_uv[:, :, shift : shift + L]


def depthwise_forward(x, W, b=None, stride: int = 1, pad: tuple = (0, 0, 0, 0), channels_last=None):
    """Fast depthwise convolution (see the module docstring): (out, cache).

    ``channels_last``: the working layout; None chooses by :func:`use_channels_last`. The result
    is the same either way (an (N, C, H', W') array, a view into the working buffer).
    """
    N, C, H, Wd = x.shape
    _, HH, WW = W.shape
    s = stride
    Ho, Wo = out_hw(H, Wd, (HH, WW), s, pad)
    Wq = -(-(Wd + pad[2] + pad[3]) // s)
    L = Ho * Wq
    cl = use_channels_last(C, L) if channels_last is None else bool(channels_last)
    dt = np.result_type(x.dtype, W.dtype)
    P = _phases(x, s, pad, dt, cl)
    flat = _grid(P, cl)
    shape = (N, L, C) if cl else (N, C, L)
    wide, tmp = np.empty(shape, dtype=dt), np.empty(shape, dtype=dt)
    Wt = _tap_weights(W, dt, cl)
    for t, (_p, _q, u, v, shift) in enumerate(_taps(HH, WW, s, Wq)):
        w = Wt[t]
        if t == 0:  # the first tap writes, the others add
            np.multiply(_run(flat[u, v], shift, L, cl), w, out=wide)
        else:
            np.multiply(_run(flat[u, v], shift, L, cl), w, out=tmp)
            wide += tmp
    # the W' real columns of the wide grid: a view (the next layer reads it in one pass anyway)
    if cl:
        out = wide.reshape(N, Ho, Wq, C)[:, :, :Wo].transpose(0, 3, 1, 2)
    else:
        out = wide.reshape(N, C, Ho, Wq)[:, :, :, :Wo]
    if b is not None:
        out = out + b.astype(dt, copy=False)[:, None, None]
    return out, DepthwiseCache(P, x.shape, W, s, tuple(pad), (Ho, Wo), cl)


def depthwise_backward(dout, cache: DepthwiseCache, need_dx: bool = True, param_grads: bool = True):
    """(dx, dW, db) of the fast path; dx is None without ``need_dx``, dW, db None without
    ``param_grads`` (explanations need neither the weights' gradients nor their cost)."""
    P, (N, C, H, Wd), W, s, pad, (Ho, Wo), cl = cache
    _, HH, WW = W.shape
    dt = np.result_type(dout.dtype, P.dtype)
    Wq = P.shape[-2] if cl else P.shape[-1]
    L = Ho * Wq
    # dout on the wide grid, in the working layout; the junk columns j >= W' stay 0
    if cl:
        g = np.zeros((N, Ho, Wq, C), dtype=dt)
        g[:, :, :Wo] = dout.transpose(0, 2, 3, 1)
    else:
        g = np.zeros((N, C, Ho, Wq), dtype=dt)
        g[:, :, :, :Wo] = dout
    g = g.reshape((N, L, C) if cl else (N, C, L))
    flat = _grid(P, cl)
    dW = db = dx = None
    if param_grads:
        dW = np.empty(W.shape, dtype=dt)
        spec = "nlc,nlc->c" if cl else "ncl,ncl->c"
        for p, q, u, v, shift in _taps(HH, WW, s, Wq):
            dW[:, p, q] = np.einsum(spec, g, _run(flat[u, v], shift, L, cl))
        db = dout.sum(axis=(0, 2, 3))
    if need_dx:
        dP = np.zeros(P.shape, dtype=dt)
        dflat = _grid(dP, cl)
        tmp = np.empty(g.shape, dtype=dt)
        Wt = _tap_weights(W, dt, cl)
        for t, (_p, _q, u, v, shift) in enumerate(_taps(HH, WW, s, Wq)):
            np.multiply(g, Wt[t], out=tmp)
            _run(dflat[u, v], shift, L, cl)[...] += tmp
        dx = _unphase(dP, (N, C, H, Wd), s, pad, cl)
    return dx, dW, db
