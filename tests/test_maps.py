"""Tests for numpycam.methods.postprocess: half-pixel bilinear upsampling and min-max normalisation."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from numpycam.methods.postprocess import normalize, upsample

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
small_dims = st.integers(1, 6)


@st.composite
def maps_2d(draw, elements=finite):
    h, w = draw(small_dims), draw(small_dims)
    return draw(arrays(np.float64, (h, w), elements=elements))


def reference_upsample(m: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """Straight transcription of the half-pixel formula with explicit loops."""
    h, w = m.shape
    out = np.zeros((out_h, out_w))
    for yo in range(out_h):
        ys = min(max((yo + 0.5) * h / out_h - 0.5, 0.0), h - 1)
        y0 = math.floor(ys)
        y1 = min(y0 + 1, h - 1)
        fy = ys - y0
        for xo in range(out_w):
            xs = min(max((xo + 0.5) * w / out_w - 0.5, 0.0), w - 1)
            x0 = math.floor(xs)
            x1 = min(x0 + 1, w - 1)
            fx = xs - x0
            top = (1 - fx) * m[y0, x0] + fx * m[y0, x1]
            bottom = (1 - fx) * m[y1, x0] + fx * m[y1, x1]
            out[yo, xo] = (1 - fy) * top + fy * bottom
    return out


# ---------------------------------------------------------------- upsample


def test_hand_worked_2x2_to_4x4():
    # Columns: x_src = (x + 0.5) * 2/4 - 0.5 = -0.25, 0.25, 0.75, 1.25 -> clamp 0, .25, .75, 1.
    # Row 0 is [0, 1], so it becomes [0, 0.25, 0.75, 1]. Row 1: y_src = 0.25 -> row0 + 0.25*2.
    out = upsample(np.array([[0.0, 1.0], [2.0, 3.0]]), 4)
    np.testing.assert_allclose(out[0], [0, 0.25, 0.75, 1], atol=1e-15)
    np.testing.assert_allclose(out[1], [0.5, 0.75, 1.25, 1.5], atol=1e-15)
    np.testing.assert_allclose(out[3], [2, 2.25, 2.75, 3], atol=1e-15)


@given(maps_2d(st.floats(-1, 1)), st.integers(1, 13), st.integers(1, 13))
def test_matches_loop_reference(m, out_h, out_w):
    expected = reference_upsample(m, out_h, out_w)
    np.testing.assert_allclose(upsample(m, (out_h, out_w)), expected, rtol=0, atol=1e-12)


@given(maps_2d(), st.integers(1, 12), st.integers(1, 12))
def test_output_shape_and_dtype(m, out_h, out_w):
    assert upsample(m, (out_h, out_w)).shape == (out_h, out_w)
    assert upsample(m[None], (out_h, out_w)).shape == (1, out_h, out_w)
    assert upsample(m.astype(np.float32), (out_h, out_w)).dtype == np.float32
    assert upsample(m, out_h).shape == (out_h, out_h)


@given(finite, small_dims, small_dims, st.integers(1, 12), st.integers(1, 12))
def test_constant_stays_constant(c, h, w, out_h, out_w):
    out = upsample(np.full((h, w), c), (out_h, out_w))
    # Exact up to one rounding of the weights; atol only matters for subnormal c.
    np.testing.assert_allclose(out, c, rtol=1e-12, atol=1e-300)


@given(maps_2d())
def test_same_size_is_exact_identity(m):
    out = upsample(m, m.shape)
    assert np.array_equal(out, m) and out is not m


@given(st.integers(1, 4), small_dims, small_dims, st.integers(1, 10), st.data())
def test_batch_equals_each_map_alone(n, h, w, size, data):
    batch = data.draw(arrays(np.float64, (n, h, w), elements=finite))
    out = upsample(batch, size)
    for i in range(n):
        np.testing.assert_array_equal(out[i], upsample(batch[i], size))


def test_integer_and_bool_input_become_float64():
    assert upsample(np.array([[0, 1], [2, 3]]), 3).dtype == np.float64
    assert normalize(np.array([[True, False]])).dtype == np.float64
    assert upsample(np.eye(2, dtype=np.float16), 2).dtype == np.float64


# ---------------------------------------------------------------- normalize


@given(maps_2d())
def test_normalize_range(m):
    out = normalize(m)
    assert np.all(np.isfinite(out))
    assert out.min() >= 0 and out.max() <= 1
    if m.max() > m.min():
        assert out.min() == 0.0 and out.max() == 1.0
    else:
        assert np.all(out == 0)


@given(st.integers(1, 4), small_dims, small_dims, st.data())
def test_normalize_batch_is_per_map(n, h, w, data):
    batch = data.draw(arrays(np.float64, (n, h, w), elements=finite))
    out = normalize(batch)
    for i in range(n):
        np.testing.assert_array_equal(out[i], normalize(batch[i]))


def test_normalize_constant_and_extremes():
    assert np.array_equal(normalize(np.zeros((2, 3, 3))), np.zeros((2, 3, 3)))
    assert np.array_equal(normalize(np.full((2, 2), -7.0)), np.zeros((2, 2)))
    big = np.finfo(np.float64).max
    np.testing.assert_array_equal(normalize(np.array([[-big, 0.0, big]])), [[0.0, 0.5, 1.0]])
    np.testing.assert_allclose(normalize(np.float32([[1, 2], [3, 5]])), [[0, 0.25], [0.5, 1]])


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("func", [normalize, lambda m: upsample(m, 4)])
@pytest.mark.parametrize(
    "bad, exc",
    [
        (np.zeros(3), ValueError),
        (np.zeros((1, 2, 3, 4)), ValueError),
        (np.zeros((0, 3)), ValueError),
        (np.array([[0.0, np.nan]]), ValueError),
        (np.array([[0.0, np.inf]]), ValueError),
        (np.array([["a", "b"]]), TypeError),
        (np.array([[1j, 0]]), TypeError),
    ],
)
def test_bad_maps(func, bad, exc):
    with pytest.raises(exc):
        func(bad)


@pytest.mark.parametrize("size", [0, -3, (4,), (4, 0), (4, 4, 4), 2.5, (2.0, 3), True, "44", None])
def test_bad_size(size):
    with pytest.raises(ValueError, match="size"):
        upsample(np.zeros((2, 2)), size)


def test_error_message_names_the_shape():
    with pytest.raises(ValueError, match=r"\(h, w\) or \(N, h, w\).*\(3,\)"):
        upsample(np.zeros(3), 4)
