"""Every layer's hand-written backward pass against central finite differences (float64).

Each check projects the layer's output on a random upstream gradient ``dout`` (never all ones,
which would only test the sum of the outputs) and compares d sum(out * dout) / d input with the
analytic gradient. The tolerance 1e-7 on the norm-wise relative error is what float64 central
differences with h = 1e-6 comfortably reach on smooth functions.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import numpycam as nc
from numpycam.nn.gradcheck import away_from_zero, numerical_gradient, rel_error

TOL = 1e-7
ERRORS: dict[str, float] = {}  # largest relative error seen per check, printed at the end


def record(name: str, err: float) -> None:
    ERRORS[name] = max(err, ERRORS.get(name, 0.0))
    assert err < TOL, f"{name}: relative error {err:.2e} >= {TOL}"


def check_param_layer(layer, x, rng, name):
    """Check dx and every parameter gradient of ``layer`` at input ``x``."""
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    f = lambda: layer.forward(x)  # noqa: E731
    record(f"{name} dx", rel_error(dx, numerical_gradient(f, x, dout)))
    for p in layer.param_names:
        analytic = getattr(layer, "d" + p)
        record(f"{name} d{p}", rel_error(analytic, numerical_gradient(f, getattr(layer, p), dout)))


conv_cases = st.tuples(
    st.integers(1, 2),  # N
    st.integers(1, 3),  # C
    st.integers(1, 3),  # F
    st.integers(1, 3),  # kernel
    st.integers(1, 3),  # stride
    st.integers(0, 2),  # padding
    st.integers(0, 4),  # extra rows beyond the kernel
    st.integers(0, 4),  # extra columns
    st.integers(0, 2**32 - 1),
)


@given(conv_cases)
def test_conv_backward_matches_finite_differences(case):
    N, C, F, k, s, p, eh, ew, seed = case
    rng = np.random.default_rng(seed)
    layer = nc.Conv2D(C, F, k, stride=s, padding=p, rng=rng, dtype=np.float64)
    layer.b = rng.standard_normal(F)
    x = rng.standard_normal((N, C, k + eh, k + ew))
    check_param_layer(layer, x, rng, "Conv2D")


@given(st.integers(1, 3), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_dense_backward_matches_finite_differences(n, k, seed):
    rng = np.random.default_rng(seed)
    layer = nc.Dense(k, 3, rng=rng, dtype=np.float64)
    layer.b = rng.standard_normal(3)
    check_param_layer(layer, rng.standard_normal((n, k)), rng, "Dense")


@given(st.tuples(st.integers(1, 2), st.integers(1, 3), st.integers(1, 6), st.integers(1, 6)),
       st.integers(0, 2**32 - 1))
def test_relu_gap_flatten_backward(shape, seed):
    rng = np.random.default_rng(seed)
    x = away_from_zero(rng, shape)
    for layer in (nc.ReLU(), nc.GlobalAvgPool2D(), nc.Flatten(), nc.Center()):
        out = layer.forward(x)
        dout = rng.standard_normal(out.shape)
        dx = layer.backward(dout)
        num = numerical_gradient(lambda layer=layer: layer.forward(x), x, dout)
        record(f"{type(layer).__name__} dx", rel_error(dx, num))


@given(st.integers(1, 3), st.integers(1, 3), st.integers(0, 3), st.integers(0, 3),
       st.integers(1, 2), st.integers(0, 2**32 - 1))
def test_maxpool_backward_matches_finite_differences(size, stride, eh, ew, c, seed):
    # Inputs are a random permutation of well-separated values: no two entries of a window tie,
    # and every gap (1.0) is far larger than h, so nudging one entry never changes which entry
    # is the maximum. At a tie max-pool has no derivative and finite differences would measure
    # a one-sided slope, so a check there would test nothing meaningful.
    rng = np.random.default_rng(seed)
    shape = (2, c, size + eh, size + ew)
    x = rng.permutation(np.prod(shape)).reshape(shape).astype(np.float64)
    layer = nc.MaxPool2D(size, stride)
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    record("MaxPool2D dx", rel_error(dx, numerical_gradient(lambda: layer.forward(x), x, dout)))


def test_relu_backward_is_exactly_the_mask():
    x = np.array([[-2.0, -0.0, 0.0, 1e-300, 3.0]])
    dout = np.array([[5.0, 5.0, -5.0, 7.0, -1.0]])
    relu = nc.ReLU()
    assert np.array_equal(relu.forward(x), [[0, 0, 0, 1e-300, 3.0]])
    assert np.array_equal(relu.backward(dout), [[0, 0, 0, 7.0, -1.0]])
    assert np.array_equal(relu.backward(dout, guided=True), [[0, 0, 0, 7.0, 0]])


def test_gap_is_the_mean_and_spreads_gradient_evenly():
    f = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 4, 5)
    gap = nc.GlobalAvgPool2D()
    assert np.allclose(gap.forward(f), f.reshape(2, 3, -1).mean(-1))
    d = gap.backward(np.array([[20.0, 40, 60], [0, 0, 20]]))
    assert d.shape == f.shape and np.allclose(d[0, 1], 2.0) and np.allclose(d[1, 2], 1.0)


def test_layers_keep_the_input_dtype():
    for dtype in (np.float32, np.float64):
        model = nc.gap_cnn(widths=(4, 8), seed=1).astype(dtype)
        x = np.random.default_rng(0).random((2, 3, 16, 16)).astype(dtype)
        scores = model.forward(x)
        model.backward(np.ones_like(scores))
        assert scores.dtype == dtype
        assert all(getattr(lay, "d" + p).dtype == dtype for lay, p in model.parameters())


def test_backward_before_forward_is_a_clear_error():
    with pytest.raises(RuntimeError, match="forward"):
        nc.ReLU().backward(np.ones((1, 1)))


def test_dense_backward_for_an_explanation_gives_dx_and_leaves_dW_db_alone():
    rng = np.random.default_rng(2)
    layer = nc.Dense(5, 3, rng=rng, dtype=np.float64)
    layer.forward(rng.standard_normal((4, 5)))
    layer.backward(rng.standard_normal((4, 3)))
    dW, db = layer.dW, layer.db
    layer.forward(rng.standard_normal((4, 5)))
    dout = rng.standard_normal((4, 3))
    np.testing.assert_array_equal(layer.backward(dout, param_grads=False), dout @ layer.W)
    assert layer.dW is dW and layer.db is db


# One small example of every layer class (registered in LAYER_TYPES) and an input it takes.
EXAMPLES = {
    "Center": (nc.Center, (2, 3, 4, 4)),
    "Conv2D": (lambda: nc.Conv2D(3, 2, 3, padding=1), (2, 3, 4, 4)),
    "ReLU": (nc.ReLU, (2, 3, 4, 4)),
    "MaxPool2D": (nc.MaxPool2D, (2, 3, 4, 4)),
    "GlobalAvgPool2D": (nc.GlobalAvgPool2D, (2, 3, 4, 4)),
    "Flatten": (nc.Flatten, (2, 3, 4, 4)),
    "Dense": (lambda: nc.Dense(5, 2), (2, 5)),
    "BatchNorm2D": (lambda: nc.BatchNorm2D(3), (2, 3, 4, 4)),
    "DepthwiseConv2D": (lambda: nc.DepthwiseConv2D(3, 3, padding=1), (2, 3, 4, 4)),
    "ZeroPad2D": (lambda: nc.ZeroPad2D(1, 0, 0, 1), (2, 3, 4, 4)),
    "ReLU6": (nc.ReLU6, (2, 3, 4, 4)),
    "Block": (lambda: nc.Block([nc.Conv2D(3, 3, 1), nc.ReLU()]), (2, 3, 4, 4)),
    "Residual": (lambda: nc.Residual([nc.Conv2D(3, 3, 1), nc.ReLU()]), (2, 3, 4, 4)),
}


def test_the_examples_cover_every_layer_class():
    from numpycam.nn.layer import LAYER_TYPES

    assert set(EXAMPLES) == set(LAYER_TYPES)


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_backward_takes_the_models_keywords_and_refuses_a_misspelt_one(kind):
    # Sequential.backward passes guided, param_grads and need_dx to every layer; a layer that
    # swallowed **kwargs would silently ignore "gudied=True" and give the plain gradient.
    make, shape = EXAMPLES[kind]
    layer = make()
    out = layer.forward(np.random.default_rng(0).standard_normal(shape))
    dout = np.ones_like(out)
    layer.backward(dout, guided=True, param_grads=False, need_dx=True)
    for typo in ("gudied", "param_grad", "need_dX"):
        with pytest.raises(TypeError, match=typo):
            layer.backward(dout, **{typo: True})


@pytest.fixture(scope="module", autouse=True)
def report_errors():
    yield
    if ERRORS:
        print("\nlargest relative gradient errors:")
        for name, err in sorted(ERRORS.items()):
            print(f"  {name:<16} {err:.2e}")
