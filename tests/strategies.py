"""Hypothesis strategies and helpers shared by the test modules.

``gap_networks`` draws a random CAM-shaped network (depth, widths, kernels, paddings, pooling,
classes, input size and all weights, float64, non-zero biases) with an input batch and one
class per image; ``close`` compares to a relative tolerance; ``seeds`` draws NumPy seeds.
"""

import numpy as np
from hypothesis import strategies as st

import numpycam as nc

seeds = st.integers(0, 2**32 - 1)


@st.composite
def gap_networks(draw, relu_after_last=True):
    """A random CAM-shaped network: conv blocks, a last conv (+ ReLU), GAP, Dense."""
    rng = np.random.default_rng(draw(seeds))
    c = draw(st.integers(1, 3))
    layers, channels = [], c
    for _ in range(draw(st.integers(0, 2))):  # earlier blocks
        width = draw(st.integers(1, 4))
        layers += [nc.Conv2D(channels, width, draw(st.sampled_from([1, 3])), padding=1, rng=rng,
                             dtype=np.float64), nc.ReLU()]
        if draw(st.booleans()):
            layers.append(nc.MaxPool2D(2))
        channels = width
    K = draw(st.integers(1, 5))
    layers.append(nc.Conv2D(channels, K, draw(st.sampled_from([1, 2, 3])), padding=1, rng=rng,
                            dtype=np.float64))
    if relu_after_last:
        layers.append(nc.ReLU())
    M = draw(st.integers(2, 5))
    layers += [nc.GlobalAvgPool2D(), nc.Dense(K, M, rng=rng, dtype=np.float64)]
    model = nc.Sequential(layers)
    for layer, p in model.parameters():
        setattr(layer, p, getattr(layer, p) + 0.1 * rng.standard_normal(getattr(layer, p).shape))
    n, side = draw(st.integers(1, 3)), draw(st.integers(4, 12))
    x = rng.standard_normal((n, c, side, side))
    classes = rng.integers(0, M, n)
    return model, x, classes


def close(a, b, rtol=1e-10):
    """Equal to rtol relative to the size of the numbers involved."""
    scale = max(np.abs(a).max(initial=0), np.abs(b).max(initial=0), 1e-300)
    np.testing.assert_allclose(a, b, rtol=0, atol=rtol * scale)
