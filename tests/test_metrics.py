"""Faithfulness metrics against answers computed by hand.

The known-answer model is linear: conv1x1 with weights 1 sums the channels into v(i, j), GAP,
and Dense(1 -> 2) with weights (a, -a), so p_0 = sigmoid(2 a mean_ij v). Switching pixels
changes mean_ij v by a sum we can write down, so every curve point is known exactly.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.integrate import trapezoid
from scipy.ndimage import gaussian_filter
from strategies import close, gap_networks, seeds

import numpycam as nc
from numpycam.evaluation.faithfulness import (
    average_drop_increase,
    deletion_auc,
    deletion_curve,
    insertion_auc,
    insertion_curve,
)


def linear_model(channels: int, a: float) -> nc.Sequential:
    conv = nc.Conv2D(channels, 1, 1, dtype=np.float64)
    conv.W, conv.b = np.ones((1, channels, 1, 1)), np.zeros(1)
    dense = nc.Dense(1, 2, dtype=np.float64)
    dense.W, dense.b = np.array([[a], [-a]]), np.zeros(2)
    return nc.Sequential([conv, nc.GlobalAvgPool2D(), dense])


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def draw_case(seed, channels, side):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.2, 3)
    x = rng.standard_normal((2, channels, side, side))
    maps = rng.permutation(2 * side * side).reshape(2, side, side).astype(float)  # no ties
    return linear_model(channels, a), a, x, maps


@given(seeds, st.integers(1, 3), st.integers(2, 7), st.integers(1, 12))
def test_deletion_and_insertion_curves_of_a_linear_model(seed, channels, side, steps):
    model, a, x, maps = draw_case(seed, channels, side)
    P = side * side
    v = x.sum(axis=1).reshape(2, P)  # (N, P): what each pixel adds to the channel sum
    blurred = np.stack([[gaussian_filter(im, 2.0) for im in img] for img in x]).sum(axis=1)
    blurred = blurred.reshape(2, P)
    expected_del, expected_ins = np.empty((2, steps + 1)), np.empty((2, steps + 1))
    for n in range(2):
        top = np.argsort(-maps[n].ravel())
        for t in range(steps + 1):
            chosen = top[: t * P // steps]
            kept = np.delete(v[n], chosen)  # deletion: the chosen pixels become 0
            expected_del[n, t] = sigmoid(2 * a * kept.sum() / P)
            inserted = blurred[n].copy()
            inserted[chosen] = v[n, chosen]  # insertion: the chosen pixels come from x
            expected_ins[n, t] = sigmoid(2 * a * inserted.mean())
    got_del = deletion_curve(model, x, maps, 0, steps, batch_size=5)
    got_ins = insertion_curve(model, x, maps, [0, 0], steps, sigma=2.0, batch_size=7)
    close(got_del, expected_del)
    close(got_ins, expected_ins)
    close(deletion_auc(model, x, maps, 0, steps), trapezoid(expected_del, dx=1 / steps))
    close(insertion_auc(model, x, maps, 0, steps, sigma=2.0), trapezoid(expected_ins, dx=1 / steps))


@given(seeds, st.integers(1, 3), st.integers(2, 7), st.integers(1, 12))
def test_the_true_contribution_is_the_best_order(seed, channels, side, steps):
    """With v >= 0 and a > 0, removing the k largest v leaves the smallest sum of any k pixels,
    so the map m = v gives a deletion curve below that of any other map, pointwise; and
    inserting (into zeros) the k largest first gives the curve above."""
    model, _, x, other = draw_case(seed, channels, side)
    x = np.abs(x)
    v = x.sum(axis=1)  # (N, H, W)
    for m in (other, -v):
        assert np.all(deletion_curve(model, x, v, 0, steps)
                      <= deletion_curve(model, x, m, 0, steps) + 1e-15)
        assert np.all(insertion_curve(model, x, v, 0, steps, baseline="zeros")
                      >= insertion_curve(model, x, m, 0, steps, baseline="zeros") - 1e-15)
    assert np.all(deletion_auc(model, x, v, 0, steps) <= deletion_auc(model, x, -v, 0, steps))


@given(gap_networks(), st.integers(1, 6), st.integers(1, 9))
def test_curves_start_and_end_where_they_must_and_batching_changes_nothing(net, steps, batch):
    model, x, c = net
    maps = nc.grad_cam(model, x, c)  # at the layer's resolution: upsampled inside
    p = lambda images: nc.softmax(model.forward(images))[np.arange(len(x)), c]  # noqa: E731
    blurred = np.stack([[gaussian_filter(im, 5.0) for im in img] for img in x])
    d = deletion_curve(model, x, maps, c, steps, batch_size=batch)
    i = insertion_curve(model, x, maps, c, steps, batch_size=batch)
    close(d[:, 0], p(x))
    close(d[:, -1], p(np.zeros_like(x)))
    close(i[:, 0], p(blurred))
    close(i[:, -1], p(x))
    up = nc.upsample(maps, x.shape[2:])
    close(deletion_curve(model, x, up, c, steps, batch_size=1000), d, rtol=1e-12)
    alone = [insertion_curve(model, x[n : n + 1], maps[n : n + 1], int(c[n]), steps)
             for n in range(len(x))]
    close(np.concatenate(alone), i, rtol=1e-12)


@given(seeds, st.integers(1, 3), st.integers(2, 7))
def test_average_drop_and_increase_of_a_linear_model(seed, channels, side):
    """E = x * L with L = (m - min m) / (max m - min m); channel sums give mean(v L)."""
    model, a, x, maps = draw_case(seed, channels, side)
    maps = np.random.default_rng(seed).standard_normal(maps.shape)
    v = x.sum(axis=1)
    lo, hi = maps.min(axis=(1, 2), keepdims=True), maps.max(axis=(1, 2), keepdims=True)
    L = (maps - lo) / (hi - lo)
    Y = sigmoid(2 * a * v.mean(axis=(1, 2)))
    O = sigmoid(2 * a * (v * L).mean(axis=(1, 2)))
    got = average_drop_increase(model, x, maps, 0, batch_size=1)
    close(got.average_drop, 100 * np.mean(np.maximum(Y - O, 0) / Y))
    assert got.increase == 100 * np.mean(Y < O)


def test_average_drop_by_hand():
    """A constant map keeps nothing: E = 0, O = 1/2. Image 0 has v = 1, p = sigmoid(2) > 1/2
    (drop (Y - 1/2)/Y); image 1 v = -1, p = sigmoid(-2) < 1/2 (an increase); image 2 v = 0,
    Y = O = 1/2 (neither: the increase is strict)."""
    model = linear_model(1, 1.0)
    x = np.stack([np.ones((1, 3, 3)), -np.ones((1, 3, 3)), np.zeros((1, 3, 3))])
    Y = sigmoid(2.0)
    got = average_drop_increase(model, x, np.zeros((3, 3, 3)), 0)
    close(got.average_drop, 100 * (Y - 0.5) / Y / 3)
    close(got.increase, 100 / 3)


def test_arguments_are_checked():
    model, _, x, maps = draw_case(0, 1, 4)
    with pytest.raises(ValueError, match="baseline"):
        deletion_curve(model, x, maps, 0, baseline="noise")
    with pytest.raises(ValueError, match="one map per image"):
        deletion_auc(model, x, maps[:1], 0)
    with pytest.raises(ValueError, match="steps"):
        insertion_auc(model, x, maps, 0, steps=0)
    close(deletion_curve(model, x, maps, 0, 3, baseline=0.0), deletion_curve(model, x, maps, 0, 3))
