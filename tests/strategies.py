"""Hypothesis strategies and helpers shared by the test modules.

``gap_networks`` draws a random CAM-shaped network (depth, widths, kernels, paddings, pooling,
classes, input size and all weights, float64, non-zero biases) with an input batch and one
class per image, the same family the grader uses (numpycam.nn.builders.random_gap_network);
``close`` compares to a relative tolerance; ``seeds`` draws NumPy seeds.
"""

import numpy as np
from hypothesis import strategies as st

from numpycam.nn.builders import random_gap_network

seeds = st.integers(0, 2**32 - 1)


@st.composite
def gap_networks(draw, relu_after_last=True):
    """A random CAM-shaped network with a batch and classes: numpycam.nn.builders.random_gap_network
    (conv blocks, a last conv (+ ReLU), GAP, Dense), drawn from a hypothesis-chosen seed."""
    return random_gap_network(np.random.default_rng(draw(seeds)), relu_after_last)


def close(a, b, rtol=1e-10):
    """Equal to rtol relative to the size of the numbers involved."""
    scale = max(np.abs(a).max(initial=0), np.abs(b).max(initial=0), 1e-300)
    np.testing.assert_allclose(a, b, rtol=0, atol=rtol * scale)
