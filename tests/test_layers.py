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


@pytest.fixture(scope="module", autouse=True)
def report_errors():
    yield
    if ERRORS:
        print("\nlargest relative gradient errors:")
        for name, err in sorted(ERRORS.items()):
            print(f"  {name:<16} {err:.2e}")
