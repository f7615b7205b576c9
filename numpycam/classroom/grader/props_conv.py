"""Checks of the lesson 2 exercises: convolution forward and backward, max pool forward and backward.

The hand-worked cases use a kernel that is not symmetric, so a flipped kernel (convolution in
the textbook sense; frameworks compute cross-correlation) gives a different answer and is named.
"""

from __future__ import annotations

import numpy as np

from numpycam.classroom.grader.judge import (
    CASES,
    FD_CASES,
    FD_TOL,
    Failure,
    agree,
    array,
    call,
    expect,
    first,
    on,
    rngs,
    suspect,
)
from numpycam.nn.gradcheck import numerical_gradient


def conv_case(rng):
    """x, W, b, stride, pad as in tests/test_layers.py: kernels 1-3, strides 1-3, pads 0-2."""
    N, C, D, HH, WW = (int(v) for v in rng.integers(1, [3, 4, 4, 4, 4]))
    stride, pad = int(rng.integers(1, 4)), int(rng.integers(0, 3))
    x = rng.standard_normal((N, C, HH + int(rng.integers(0, 5)), WW + int(rng.integers(0, 5))))
    return x, rng.standard_normal((D, C, HH, WW)), rng.standard_normal(D), stride, pad


def describe(x, W, stride, pad):
    return f"x {x.shape}, W {W.shape}, stride {stride}, pad {pad}"


HAND_CONV_X = np.arange(9.0).reshape(1, 1, 3, 3)  # [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
HAND_CONV_W = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])  # not symmetric: a flipped kernel shows
HAND_CONV = "x = [[0, 1, 2], [3, 4, 5], [6, 7, 8]], W = [[1, 2], [3, 4]]"
FLIPPED = ("the kernel looks flipped: that is convolution in the textbook sense; frameworks (and "
           "numpycam) use cross-correlation, out = sum W[d, c, p, q] xp[.., i*stride + p, "
           "j*stride + q], with W not reversed")


def conv_hand(fn, seed):
    from numpycam.ops.conv import conv_forward_naive

    for stride, pad, want in ((1, 0, [[28.0, 38], [58, 68]]), (2, 1, [[1.0, 12], [31, 68]])):
        with on(f"{HAND_CONV}, b = 1, stride {stride}, pad {pad}"):
            out = array(call(fn, HAND_CONV_X, HAND_CONV_W, np.ones(1), stride, pad),
                        (1, 1, 2, 2), "out")
            flipped = conv_forward_naive(HAND_CONV_X, HAND_CONV_W[..., ::-1, ::-1], np.ones(1),
                                         stride, pad)[0]
            suspect(out, [(flipped, FLIPPED), (np.array(want)[None, None] - 1,
                                               "the bias b is missing: add b[d] to every output")])
            expect(out, np.array(want)[None, None], "out")


def conv_library(fn, seed):
    from numpycam.ops.conv import conv_forward_naive

    for rng in rngs(seed, CASES):
        x, W, b, stride, pad = conv_case(rng)
        want = conv_forward_naive(x, W, b, stride, pad)[0]
        with on(describe(x, W, stride, pad)):
            agree(array(call(fn, x, W, b, stride, pad), want.shape, "out"), want, "out",
                  "numpycam.ops.conv.conv_forward_naive")


def conv_grads(fn, dout, x, W, stride, pad):
    grads = call(fn, dout, x, W, stride, pad)
    if not isinstance(grads, (tuple, list)) or len(grads) != 3:
        raise Failure(f"returned a {type(grads).__name__}, not the tuple (dx, dW, db)")
    shapes = (x.shape, W.shape, W.shape[:1])
    return [array(g, s, name) for g, s, name in zip(grads, shapes, ("dx", "dW", "db"), strict=True)]


def conv_back_hand(fn, seed):
    with on(f"{HAND_CONV}, dout = ones 2x2, stride 1, pad 0"):
        dx, dW, db = conv_grads(fn, np.ones((1, 1, 2, 2)), HAND_CONV_X, HAND_CONV_W, 1, 0)
        expect(db, [4.0], "db")
        suspect(dW, [(np.array([[[[24.0, 20], [12, 8]]]]), "dW is flipped: " + FLIPPED)])
        expect(dW, [[[[8.0, 12], [20, 24]]]], "dW")
        suspect(dx, [(np.array([[[[4.0, 7, 3], [6, 10, 4], [2, 3, 1]]]]),
                      "dx used the flipped kernel: " + FLIPPED)])
        expect(dx, [[[[1.0, 3, 2], [4, 10, 6], [3, 7, 4]]]], "dx")


def conv_back_fd(fn, seed):
    from numpycam.ops.conv_fast import conv_forward

    for rng in rngs(seed, FD_CASES):
        x, W, b, stride, pad = conv_case(rng)
        out = conv_forward(x, W, b, stride, pad)[0]
        dout = rng.standard_normal(out.shape)
        with on(describe(x, W, stride, pad)):
            grads = conv_grads(fn, dout, x, W, stride, pad)
            for got, p, name in zip(grads, (x, W, b), ("dx", "dW", "db"), strict=True):
                num = numerical_gradient(first(conv_forward, x, W, b, stride, pad), p, dout)
                agree(got, num, name, "the finite-difference gradient", FD_TOL)


def conv_back_library(fn, seed):
    from numpycam.ops.conv import conv_backward_naive, conv_forward_naive

    for rng in rngs(seed, CASES):
        x, W, b, stride, pad = conv_case(rng)
        out, cache = conv_forward_naive(x, W, b, stride, pad)
        dout = rng.standard_normal(out.shape)
        with on(describe(x, W, stride, pad)):
            grads = conv_grads(fn, dout, x, W, stride, pad)
            wants = conv_backward_naive(dout, cache)
            for got, want, name in zip(grads, wants, ("dx", "dW", "db"), strict=True):
                agree(got, want, name, "numpycam.ops.conv.conv_backward_naive")


# Max pool: out[n, c, i, j] = max over the size x size window at (i*stride, j*stride) ---------

# Windows of 2 x 2, stride 2: (0, 0) has one maximum, 4; the other three have ties (2, 2, 2),
# (5, 5, 5) and (0, 0, 0), and the gradient goes to the FIRST tied entry in row-major order.
HAND_POOL_X = np.array([[[[1.0, 3, 2, 2], [4, 0, 2, 1], [5, 5, 0, 0], [5, 1, -1, 0]]]])
HAND_POOL_DOUT = np.array([[[[1.0, 2], [3, 4]]]])
HAND_POOL = "x = [[1, 3, 2, 2], [4, 0, 2, 1], [5, 5, 0, 0], [5, 1, -1, 0]], size 2, stride 2"


def pool_case(rng):
    """x with no ties (continuous normal), windows 1-3, strides 1-3, as tests/test_layers.py."""
    size, stride = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    N, C = (int(v) for v in rng.integers(1, [3, 4]))
    x = rng.standard_normal((N, C, size + int(rng.integers(0, 5)), size + int(rng.integers(0, 5))))
    return x, size, stride


def pool_hand(fn, seed):
    with on(HAND_POOL):
        out = array(call(fn, HAND_POOL_X, 2, 2), (1, 1, 2, 2), "out")
        expect(out, [[[[4.0, 2], [5, 0]]]], "out")


def pool_library(fn, seed):
    from numpycam.ops.pool import maxpool_forward_naive

    for rng in rngs(seed, CASES):
        x, size, stride = pool_case(rng)
        want = maxpool_forward_naive(x, size, stride)[0]
        with on(f"x {x.shape}, size {size}, stride {stride}"):
            agree(array(call(fn, x, size, stride), want.shape, "out"), want, "out",
                  "numpycam.ops.pool.maxpool_forward_naive")


def pool_back_hand(fn, seed):
    dx = np.zeros_like(HAND_POOL_X)
    for (i, j), g in zip(((1, 0), (0, 2), (2, 0), (2, 2)), (1.0, 2, 3, 4), strict=True):
        dx[0, 0, i, j] = g
    last, every, shared = np.zeros_like(dx), np.zeros_like(dx), np.zeros_like(dx)
    for (i, j), g in zip(((1, 0), (1, 2), (3, 0), (3, 3)), (1.0, 2, 3, 4), strict=True):
        last[0, 0, i, j] = g
    for ties, g in zip(([(1, 0)], [(0, 2), (0, 3), (1, 2)], [(2, 0), (2, 1), (3, 0)],
                        [(2, 2), (2, 3), (3, 3)]), (1.0, 2, 3, 4), strict=True):
        for i, j in ties:
            every[0, 0, i, j], shared[0, 0, i, j] = g, g / len(ties)
    with on(HAND_POOL + ", dout = [[1, 2], [3, 4]]"):
        got = array(call(fn, HAND_POOL_DOUT, HAND_POOL_X, 2, 2), HAND_POOL_X.shape, "dx")
        suspect(got, [
            (last, "each gradient went to the LAST of its tied maxima: compare with > (not >=) "
                   "while scanning a window, so the first maximum in row-major order keeps it"),
            (every, "each gradient went to every tied maximum: send it to the first one only "
                    "(row-major order, as np.argmax does), so the gradient is not counted twice"),
            (shared,
             "each gradient was shared among its tied maxima: send all of it to the first one")])
        expect(got, dx, "dx")


def pool_back_fd(fn, seed):
    from numpycam.ops.pool import maxpool_forward

    for rng in rngs(seed, FD_CASES):
        x, size, stride = pool_case(rng)
        dout = rng.standard_normal(maxpool_forward(x, size, stride)[0].shape)
        with on(f"x {x.shape}, size {size}, stride {stride}"):
            dx = array(call(fn, dout, x, size, stride), x.shape, "dx")
            num = numerical_gradient(first(maxpool_forward, x, size, stride), x, dout)
            agree(dx, num, "dx", "the finite-difference gradient", FD_TOL)


def pool_back_library(fn, seed):
    from numpycam.ops.pool import maxpool_backward_naive, maxpool_forward_naive

    for rng in rngs(seed, CASES):
        x, size, stride = pool_case(rng)
        out, cache = maxpool_forward_naive(x, size, stride)
        dout = rng.standard_normal(out.shape)
        with on(f"x {x.shape}, size {size}, stride {stride} (overlapping windows add up)"):
            agree(array(call(fn, dout, x, size, stride), x.shape, "dx"),
                  maxpool_backward_naive(dout, cache), "dx",
                  "numpycam.ops.pool.maxpool_backward_naive")
