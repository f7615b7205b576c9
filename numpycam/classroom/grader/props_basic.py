"""Checks of the lessons 3, 5, 9, 10 and 12 exercises: ReLU and its guided rule, GAP, CAM, Grad-CAM.

Each check takes the student's function and the seed of the random inputs and returns None or
raises Failure (or NotImplementedError, which means "not done").
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
    maps_shape,
    on,
    rngs,
    suspect,
)
from numpycam.nn.builders import random_gap_network
from numpycam.nn.gradcheck import away_from_zero, numerical_gradient

HAND_X = np.array([[-2.0, -0.0, 0.0, 1e-300, 3.0]])  # the kink at 0, from both sides
HAND_DOUT = np.array([[5.0, 5.0, -5.0, 7.0, -1.0]])


def relu_hand(fn, seed):
    with on(f"x = {HAND_X.tolist()}, dout = {HAND_DOUT.tolist()}"):
        dx = array(call(fn, HAND_DOUT, HAND_X), HAND_X.shape, "dx")
        if np.any(dx[HAND_X <= 0] != 0):
            raise Failure(f"dx = {dx.tolist()}: a gradient passed where x <= 0, where ReLU's "
                          "slope is 0 (at x == 0 too)")
        if np.any(dx[(HAND_X > 0) & (HAND_DOUT < 0)] == 0):
            raise Failure(f"dx = {dx.tolist()}: a negative gradient was dropped where x > 0; "
                          "that is the guided rule, not ReLU's derivative")
        expect(dx, HAND_DOUT * (HAND_X > 0), "dx")


def relu_fd(fn, seed):
    from numpycam.ops.relu import relu_forward

    for rng in rngs(seed, FD_CASES):
        x = away_from_zero(rng, maps_shape(rng))
        dout = rng.standard_normal(x.shape)
        with on(f"x {x.shape}"):
            dx = array(call(fn, dout, x), x.shape, "dx")
            num = numerical_gradient(first(relu_forward, x), x, dout)
            agree(dx, num, "dx", "the finite-difference gradient", FD_TOL)


def relu_library(fn, seed):
    from numpycam.ops.relu import relu_backward

    for rng in rngs(seed, CASES):
        x = rng.standard_normal(maps_shape(rng))
        x[rng.random(x.shape) < 0.2] = 0.0  # exact zeros: the derivative there is taken as 0
        dout = rng.standard_normal(x.shape)
        with on(f"x {x.shape}"):
            agree(array(call(fn, dout, x), x.shape, "dx"), relu_backward(dout, x > 0), "dx",
                  "numpycam.ops.relu.relu_backward")


def guided_hand(fn, seed):
    with on(f"x = {HAND_X.tolist()}, dout = {HAND_DOUT.tolist()}"):
        dx = array(call(fn, HAND_DOUT, HAND_X), HAND_X.shape, "dx")
        if np.any(dx[HAND_DOUT <= 0] != 0):
            raise Failure(f"dx = {dx.tolist()}: a gradient <= 0 passed; the guided rule drops them")
        expect(dx, HAND_DOUT * (HAND_X > 0) * (HAND_DOUT > 0), "dx")


def guided_zero_pattern(fn, seed):
    """As tests/test_cam.py: dx == dout exactly where x > 0 and dout > 0, and 0 elsewhere."""
    for rng in rngs(seed, CASES):
        shape = maps_shape(rng)
        x = rng.integers(-2, 3, shape) * rng.random(shape)  # exact zeros included
        dout = rng.standard_normal(shape)
        dout.flat[::3] = 0.0
        dx = array(call(fn, dout, x), shape, "dx")
        keep = (x > 0) & (dout > 0)
        bad = np.argwhere(np.where(keep, dx != dout, dx != 0))
        if len(bad):
            i = tuple(bad[0])
            raise Failure(f"at x = {x[i]:.3g}, dout = {dout[i]:.3g}: dx = {dx[i]:.3g}, expected "
                          f"{dout[i] if keep[i] else 0.0:.3g} (shape {shape}, entry {list(i)})")


def gap_hand(fn, seed):
    f = np.arange(120, dtype=np.float64).reshape(2, 3, 4, 5)
    with on("f = arange(120).reshape(2, 3, 4, 5)"):
        expect(array(call(fn, f), (2, 3), "F"), f.reshape(2, 3, -1).mean(-1), "F", Z=20)


def gap_library(fn, seed):
    from numpycam.ops.gap import gap_forward

    for rng in rngs(seed, CASES):
        f = rng.standard_normal(maps_shape(rng))
        with on(f"f {f.shape}"):
            agree(array(call(fn, f), f.shape[:2], "F"), gap_forward(f)[0], "F",
                  "numpycam.ops.gap.gap_forward")


def gap_back_hand(fn, seed):
    dF = np.array([[20.0, 40, 60], [0, 0, 20]])
    with on(f"dF = {dF.tolist()}, f_shape = (2, 3, 4, 5)"):
        df = array(call(fn, dF, (2, 3, 4, 5)), (2, 3, 4, 5), "df")
        expect(df, np.broadcast_to(dF[:, :, None, None] / 20, df.shape), "df", Z=20)


def gap_back_fd(fn, seed):
    from numpycam.ops.gap import gap_forward

    for rng in rngs(seed, FD_CASES):
        f = rng.standard_normal(maps_shape(rng))
        dF = rng.standard_normal(f.shape[:2])
        with on(f"f {f.shape}"):
            df = array(call(fn, dF, f.shape), f.shape, "df")
            num = numerical_gradient(first(gap_forward, f), f, dF)
            agree(df, num, "df", "the finite-difference gradient", FD_TOL)


def gap_back_library(fn, seed):
    from numpycam.ops.gap import gap_backward

    for rng in rngs(seed, CASES):
        shape = maps_shape(rng)
        dF = rng.standard_normal(shape[:2])
        with on(f"f_shape {shape}"):
            agree(array(call(fn, dF, shape), shape, "df"), gap_backward(dF, shape), "df",
                  "numpycam.ops.gap.gap_backward")


def cam_hand(fn, seed):
    f = np.zeros((1, 2, 2, 2))
    f[0, 0, 0, 0], f[0, 1, 1, 1] = 1.0, 2.0
    w = np.array([[3.0, -1.0]])
    with on("f_1 = [[1, 0], [0, 0]], f_2 = [[0, 0], [0, 2]], w = [[3, -1]]"):
        expect(array(call(fn, f, w), (1, 2, 2), "L"), [[[3.0, 0], [0, -2]]], "L")


def cam_library(fn, seed):
    from numpycam.methods.base import weighted_sum

    for rng in rngs(seed, CASES):
        f = rng.standard_normal(maps_shape(rng))
        w = rng.standard_normal(f.shape[:2])
        with on(f"f {f.shape}, w {w.shape}"):
            agree(array(call(fn, f, w), (f.shape[0],) + f.shape[2:], "L"), weighted_sum(f, w), "L",
                  "numpycam.weighted_sum")


def cam_identity(fn, seed):
    """As tests/test_cam.py: mean_ij L^c = sum_k w_k^c F_k = S^c - b_c, and L is numpycam.cam."""
    from numpycam.methods.cam import cam

    for rng in rngs(seed, FD_CASES):
        model, x, c = random_gap_network(rng)
        e = cam(model, x, c, details=True)  # e.f (N, K, h, w), e.weights (N, K) = w^c
        with on(f"a random GAP network, f {e.f.shape}"):
            L = array(call(fn, e.f, e.weights), e.maps.shape, "L")
            S_minus_b = e.scores[np.arange(len(c)), c] - model.layers[-1].b[c]
            agree(L.mean(axis=(1, 2)), S_minus_b, "the spatial mean of L", "S^c - b_c")
            agree(L, e.maps, "L", "numpycam.cam")


def grad_cam_hand(fn, seed):
    g = np.zeros((1, 2, 2, 2))
    g[0, 0] = [[1.0, 2.0], [3.0, 6.0]]
    g[0, 1, 0, 0] = -4.0
    with on("dS_df[0, 0] = [[1, 2], [3, 6]], dS_df[0, 1] = [[-4, 0], [0, 0]]"):
        expect(array(call(fn, g), (1, 2), "a"), [[3.0, -1.0]], "a", Z=4)


def grad_cam_library(fn, seed):
    for rng in rngs(seed, CASES):
        g = rng.standard_normal(maps_shape(rng))
        with on(f"dS_df {g.shape}"):
            agree(array(call(fn, g), g.shape[:2], "a"), g.mean(axis=(2, 3)), "a",
                  "numpycam.grad_cam's weights")


def grad_cam_identity(fn, seed):
    """Generalized CAM (tests/test_cam.py): on a GAP network dS^c/df_k(i, j) = w_k^c / Z, so
    a_k^c = w_k^c / Z."""
    from numpycam.methods.base import one_hot, score_gradient
    from numpycam.methods.cam import gap_head

    for rng in rngs(seed, FD_CASES):
        model, x, c = random_gap_network(rng)
        _, f, g = score_gradient(model, x, one_hot(c, model.num_classes), gap_head(model) - 1)
        Z = f.shape[2] * f.shape[3]
        with on(f"a random GAP network, dS_df {g.shape}"):
            a = array(call(fn, g), g.shape[:2], "a")
            agree(a, model.layers[-1].W[c] / Z, "a", "w^c / Z")


# Dense: S = F W^T + b, F (N, K), W (M, K), b (M,) -----------------------------------------


def dense_grads(fn, dS, F, W):
    grads = call(fn, dS, F, W)
    if not isinstance(grads, (tuple, list)) or len(grads) != 3:
        raise Failure(f"returned a {type(grads).__name__}, not the tuple (dF, dW, db)")
    dF, dW, db = grads
    if np.shape(dW) == W.shape[::-1] and W.shape[0] != W.shape[1]:
        raise Failure(f"dW has shape {np.shape(dW)}, the transpose of W's {W.shape}: the weight "
                      "looks transposed; dW = dS^T F has W's shape (M, K)")
    return (array(dF, F.shape, "dF"), array(dW, W.shape, "dW"), array(db, W.shape[:1], "db"))


def dense_hand(fn, seed):
    F, W, dS = np.array([[1.0, 2, 3]]), np.array([[1.0, 0, 2], [0, 1, -1]]), np.array([[1.0, 2]])
    with on("F = [[1, 2, 3]], W = [[1, 0, 2], [0, 1, -1]], dS = [[1, 2]]"):
        dF, dW, db = dense_grads(fn, dS, F, W)
        expect(db, [1.0, 2], "db")
        expect(dF, [[1.0, 2, 0]], "dF")
        expect(dW, [[1.0, 2, 3], [2, 4, 6]], "dW")
    F, W, dS = np.array([[1.0, 2]]), np.array([[1.0, 2], [3, 4]]), np.array([[1.0, -1]])
    with on("F = [[1, 2]], W = [[1, 2], [3, 4]], dS = [[1, -1]] (a square W)"):
        dF, dW, _ = dense_grads(fn, dS, F, W)
        suspect(dF, [(dS @ W.T, "dF = dS W^T used the transposed weight: dF = dS W")])
        suspect(dW, [(F.T @ dS, "dW is transposed: dW = dS^T F, with W's shape (M, K)")])
        expect(dF, [[-2.0, -2]], "dF")
        expect(dW, [[1.0, 2], [-1, -2]], "dW")


def dense_fd(fn, seed):
    from numpycam.ops.dense import dense_forward

    for rng in rngs(seed, FD_CASES):
        N, K, M = (int(v) for v in rng.integers(1, [4, 6, 5]))
        F, W, b = rng.standard_normal((N, K)), rng.standard_normal((M, K)), rng.standard_normal(M)
        dS = rng.standard_normal((N, M))
        with on(f"F {F.shape}, W {W.shape}"):
            for got, p, name in zip(dense_grads(fn, dS, F, W), (F, W, b), ("dF", "dW", "db"),
                                    strict=True):
                num = numerical_gradient(first(dense_forward, F, W, b), p, dS)
                agree(got, num, name, "the finite-difference gradient", FD_TOL)
