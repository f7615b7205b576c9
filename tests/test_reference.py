"""The fast layers equal their readable loop references, forward and backward.

The loop versions in numpycam.ops (ops/conv.py, the first half of ops/pool.py) are the definitions
written out one number at a time; the vectorised versions (ops/conv_fast.py, the second half of
ops/pool.py) are what users run. Hypothesis draws shapes, strides and paddings.
"""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from numpycam.ops import conv, conv_fast, pool

cases = st.tuples(
    st.integers(1, 3), st.integers(1, 4), st.integers(1, 4),  # N, C, F
    st.integers(1, 4), st.integers(1, 3), st.integers(0, 2),  # kernel, stride, pad
    st.integers(0, 5), st.integers(0, 5), st.integers(0, 2**32 - 1),
)


@given(cases)
def test_fast_conv_equals_naive_conv(case):
    N, C, F, k, s, p, eh, ew, seed = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, k + eh, k + ew))
    W, b = rng.standard_normal((F, C, k, k)), rng.standard_normal(F)
    out, cache = conv_fast.conv_forward(x, W, b, s, p)
    ref, ref_cache = conv.conv_forward_naive(x, W, b, s, p)
    np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-12)
    dout = rng.standard_normal(out.shape)
    for got, want in zip(conv_fast.conv_backward(dout, cache), conv.conv_backward_naive(dout, ref_cache),
                         strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 5), st.integers(0, 5),
       st.integers(0, 2**32 - 1))
def test_fast_maxpool_equals_naive_maxpool(size, stride, eh, ew, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 3, size + eh, size + ew))
    out, cache = pool.maxpool_forward(x, size, stride)
    ref, ref_cache = pool.maxpool_forward_naive(x, size, stride)
    np.testing.assert_array_equal(out, ref)
    dout = rng.standard_normal(out.shape)
    np.testing.assert_allclose(pool.maxpool_backward(dout, cache),
                               pool.maxpool_backward_naive(dout, ref_cache), rtol=1e-12)


def test_maxpool_tie_goes_to_the_first_maximum_in_both_versions():
    x = np.zeros((1, 1, 2, 2))
    dout = np.ones((1, 1, 1, 1))
    _, cache = pool.maxpool_forward(x, 2)
    _, ref_cache = pool.maxpool_forward_naive(x, 2)
    expected = np.array([[[[1.0, 0.0], [0.0, 0.0]]]])
    np.testing.assert_array_equal(pool.maxpool_backward(dout, cache), expected)
    np.testing.assert_array_equal(pool.maxpool_backward_naive(dout, ref_cache), expected)


def test_conv_matches_a_hand_worked_example():
    # A 3x3 image with a 2x2 kernel: out[i, j] = x[i, j] + 2 x[i+1, j+1] - 1 (bias -1).
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    W = np.array([[[[1.0, 0.0], [0.0, 2.0]]]])
    out, _ = conv_fast.conv_forward(x, W, np.array([-1.0]))
    np.testing.assert_array_equal(out[0, 0], [[0 + 8 - 1, 1 + 10 - 1], [3 + 14 - 1, 4 + 16 - 1]])


def test_fast_layers_agree_when_split_into_many_blocks(monkeypatch):
    # The real block sizes hold every test shape in one block; shrink them so that conv and max
    # pool run image by image, or two images at a time with a shorter last block (5 images),
    # which exercises the reuse of their buffers between blocks.
    rng = np.random.default_rng(3)
    for stride, pad in [(1, 1), (1, 0), (2, 1), (3, 2)]:
        x = rng.standard_normal((5, 3, 9, 7))
        W, b = rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
        ref, ref_cache = conv.conv_forward_naive(x, W, b, stride, pad)
        dout = rng.standard_normal(ref.shape)
        want = conv.conv_backward_naive(dout, ref_cache)
        one_image = 3 * 9 * ref.shape[2] * ref.shape[3] * 8  # bytes of one image's patches
        for block in (1, 2 * one_image):
            monkeypatch.setattr(conv_fast, "BLOCK_BYTES", block)
            out, cache = conv_fast.conv_forward(x, W, b, stride, pad)
            np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-12)
            for got, exp in zip(conv_fast.conv_backward(dout, cache), want, strict=True):
                np.testing.assert_allclose(got, exp, rtol=1e-10, atol=1e-12)
    x = rng.standard_normal((5, 2, 6, 6))
    ref, ref_cache = pool.maxpool_forward_naive(x, 2)
    dout = rng.standard_normal(ref.shape)
    for block in (1, 2 * x[0].nbytes):
        monkeypatch.setattr(pool, "BLOCK_BYTES", block)
        out, cache = pool.maxpool_forward(x, 2)
        np.testing.assert_array_equal(out, ref)
        np.testing.assert_array_equal(pool.maxpool_backward(dout, cache),
                                      pool.maxpool_backward_naive(dout, ref_cache))
