"""Checks of the lessons 9 and 10 exercises: softmax cross-entropy, bilinear upsampling, the whole
Grad-CAM and the Guided Grad-CAM product. Lesson 7's (boxes, IoU, pointing): props_boxes.
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
    on,
    rngs,
    suspect,
)
from numpycam.nn.builders import random_gap_network
from numpycam.nn.gradcheck import numerical_gradient

# Softmax cross-entropy: loss = -(1/N) sum_n log softmax(S_n)[y_n], dS = (p - onehot(y)) / N


def loss_and_grad(fn, S, y):
    got = call(fn, S, y)
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Failure(f"returned a {type(got).__name__}, not the tuple (loss, dS)")
    loss = array(got[0], (), "the loss")
    return float(loss), array(got[1], S.shape, "dS")


def xent_hand(fn, seed):
    S, y = np.zeros((2, 3)), np.array([2, 0])
    with on("S = zeros (2, 3), y = [2, 0]"):
        loss, dS = loss_and_grad(fn, S, y)
        suspect([loss], [([2 * np.log(3)], "the loss is N = 2 times too large: the mean over "
                                            "the N images, not the sum")])
        expect([loss], [np.log(3)], "the loss")
        want = np.array([[1, 1, -2], [-2, 1, 1]]) / 6
        suspect(dS, [(want * 2, "dS is N = 2 times too large: the loss is a mean, so each row "
                                "of dS = softmax - onehot is divided by N"),
                     (-want, "dS has the wrong sign: dS = softmax(S) - onehot(y)")])
        expect(dS, want, "dS")
    S = np.array([[1000.0, 0.0]])
    with on("S = [[1000, 0]], y = [0] (large scores)"):
        loss, dS = loss_and_grad(fn, S, np.array([0]))
        expect([loss, *dS[0]], [0.0, 0.0, 0.0], "(loss, dS)")


def xent_library(fn, seed):
    from numpycam.nn.losses import softmax_cross_entropy

    for rng in rngs(seed, CASES):
        N, M = (int(v) for v in rng.integers(1, [5, 7]))
        S, y = 3 * rng.standard_normal((N, M)), rng.integers(0, M, N)
        want_loss, want_dS = softmax_cross_entropy(S, y)
        with on(f"S {S.shape}, y {y.tolist()}"):
            loss, dS = loss_and_grad(fn, S, y)
            agree([loss], [want_loss], "the loss", "numpycam.nn.losses.softmax_cross_entropy")
            agree(dS, want_dS, "dS", "numpycam.nn.losses.softmax_cross_entropy")


def xent_fd(fn, seed):
    from numpycam.nn.losses import softmax_cross_entropy

    for rng in rngs(seed, FD_CASES):
        N, M = (int(v) for v in rng.integers(1, [4, 6]))
        S, y = rng.standard_normal((N, M)), rng.integers(0, M, N)
        with on(f"S {S.shape}"):
            _, dS = loss_and_grad(fn, S, y)
            num = numerical_gradient(lambda S=S, y=y: np.array(softmax_cross_entropy(S, y)[0]),
                                     S, np.array(1.0))
            agree(dS, num, "dS", "the finite-difference gradient of the loss", FD_TOL)


# Bilinear upsampling with half-pixel centres -------------------------------------------------


def upsample_hand(fn, seed):
    m = np.array([[[0.0, 1]]])
    with on("maps = [[[0, 1]]], size (1, 4)"):
        got = array(call(fn, m, 1, 4), (1, 1, 4), "the map")
        suspect(got, [([[[0, 1 / 3, 2 / 3, 1]]], "those are corner-aligned samples "
                       "(align_corners=True); use half-pixel centres, x_src = (x + 0.5) w / W - 0.5"),
                      ([[[-0.25, 0.25, 0.75, 1.25]]], "the source coordinate must be clamped to "
                       "[0, w - 1], so the border copies the edge pixel")])
        expect(got, [[[0.0, 0.25, 0.75, 1]]], "the map")
    m = np.array([[[0.0, 1], [2, 3]]])
    with on("maps = [[[0, 1], [2, 3]]], size (4, 4)"):
        got = array(call(fn, m, 4, 4), (1, 4, 4), "the map")
        expect(got, np.add.outer([0, 0.5, 1.5, 2], [0, 0.25, 0.75, 1])[None], "the map")


def upsample_library(fn, seed):
    from numpycam.methods.postprocess import upsample

    for rng in rngs(seed, CASES):
        N, h, w, H, W = (int(v) for v in rng.integers(1, [3, 6, 6, 13, 13]))
        m = rng.standard_normal((N, h, w))
        with on(f"maps {m.shape}, size ({H}, {W})"):
            agree(array(call(fn, m, H, W), (N, H, W), "the map"), upsample(m, (H, W)), "the map",
                  "numpycam.upsample")


# The whole Grad-CAM: L = upsample(ReLU(sum_k a_k f_k)), a_k = mean_ij g_k(i, j) ---------------

NO_RELU = ("negative values remain: Grad-CAM keeps only the positive evidence, "
           "L = ReLU(sum_k a_k f_k) before upsampling")


def grad_cam_map_hand(fn, seed):
    f = np.array([[[[1.0, 0]], [[0, 1]]]])  # (1, 2, 1, 2): f_1 = [[1, 0]], f_2 = [[0, 1]]
    g = np.array([[[[2.0, 2]], [[-2, -4]]]])  # a = [2, -3]
    with on("f_1 = [[1, 0]], f_2 = [[0, 1]], g_1 = [[2, 2]], g_2 = [[-2, -4]], size (1, 4)"):
        got = array(call(fn, f, g, 1, 4), (1, 1, 4), "L")
        suspect(got, [([[[2.0, 0.75, -1.75, -3]]], NO_RELU),
                      ([[[4.0, 1.5, -3.5, -6]]], NO_RELU + "; the weights are also Z = 2 times "
                                                          "too large (a mean over positions)"),
                      ([[[4.0, 3, 1, 0]]], "the weights are Z = 2 times too large: a_k is the "
                                           "mean of g_k over its h * w positions")])
        expect(got, [[[2.0, 1.5, 0.5, 0]]], "L")


def grad_cam_map_networks(fn, seed):
    from numpycam.methods.base import one_hot, score_gradient
    from numpycam.methods.cam import gap_head
    from numpycam.methods.grad_cam import grad_cam
    from numpycam.methods.postprocess import upsample

    for rng in rngs(seed, FD_CASES):
        model, x, c = random_gap_network(rng)
        _, f, g = score_gradient(model, x, one_hot(c, model.num_classes), gap_head(model) - 1)
        H, W = x.shape[2:]
        want = upsample(grad_cam(model, x, c), (H, W))
        with on(f"a random GAP network, f {f.shape}, size ({H}, {W})"):
            agree(array(call(fn, f, g, H, W), want.shape, "L"), want, "L",
                  "numpycam.upsample(numpycam.grad_cam(...))")


# Guided Grad-CAM: guided backprop (N, C, H, W) times the upsampled map (N, H, W) --------------


def guided_gc_hand(fn, seed):
    G = np.array([[[[1.0, -2]], [[3, 4]]]])  # (1, 2, 1, 2)
    L = np.array([[[0.5, 2]]])  # (1, 1, 2)
    with on("guided = [[[[1, -2]], [[3, 4]]]], L = [[[0.5, 2]]]"):
        expect(array(call(fn, G, L), G.shape, "the product"), [[[[0.5, -4]], [[1.5, 8]]]],
               "the product")


def guided_gc_library(fn, seed):
    for rng in rngs(seed, CASES):
        G = rng.standard_normal((int(rng.integers(1, 3)), 3, *rng.integers(1, 7, 2)))
        L = rng.random((G.shape[0], *G.shape[2:]))
        with on(f"guided {G.shape}, L {L.shape}"):
            agree(array(call(fn, G, L), G.shape, "the product"), G * L[:, None], "the product",
                  "guided * L[:, None] (every channel times the same map)")
