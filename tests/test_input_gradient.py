"""nc.input_gradient is dS^c/dx, one class per image: checked against central differences.

Lesson 12 draws it beside guided backprop; tests/test_model.py checks the whole model's
backward for a random upstream gradient, this checks the public function, whose upstream
gradient is one-hot in each image's own class c_n:

    input_gradient(model, x, c)[n] = d S^{c_n}(x_n) / d x_n
"""

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st

import numpycam as nc
from numpycam.nn.gradcheck import numerical_gradient, rel_error


@given(st.integers(0, 2**32 - 1), st.integers(1, 3), st.booleans())
def test_input_gradient_is_the_score_gradient_of_each_images_class(seed, n, gap):
    rng = np.random.default_rng(seed)
    model = (nc.gap_cnn(2, 3, widths=(3, 4), seed=seed) if gap
             else nc.fc_cnn(2, 3, widths=(3, 4), hidden=5, input_size=8, seed=seed)).astype(np.float64)
    x = rng.standard_normal((n, 2, 8, 8))
    c = rng.integers(0, 3, n)
    model.forward(x)
    # a ReLU input within reach of the difference step makes the quotient cross the kink
    assume(all(np.abs(model.activation(i)).min() > 1e-4
               for i, nxt in enumerate(model.layers[1:]) if isinstance(nxt, nc.ReLU)))
    one_hot = np.zeros((n, 3))
    one_hot[np.arange(n), c] = 1.0  # S^{c_n} of image n: a sum over images, each its own class
    expected = numerical_gradient(lambda: model.forward(x), x, one_hot)
    got = nc.input_gradient(model, x, c)
    assert got.shape == x.shape
    assert rel_error(got, expected) < 1e-7, rel_error(got, expected)


def test_input_gradient_changes_with_the_class():
    """Two classes of the same image give different gradients (the rows of the Dense layer
    differ), so a test that ignored c would fail here."""
    model = nc.gap_cnn(2, 3, widths=(3, 4), seed=0).astype(np.float64)
    x = np.random.default_rng(0).standard_normal((1, 2, 8, 8))
    g0, g1 = nc.input_gradient(model, x, [0]), nc.input_gradient(model, x, [1])
    assert not np.allclose(g0, g1)
