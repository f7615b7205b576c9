"""Issue 15, kinds 1, 4 and 5: no silent wrong answer, memory bounded by the batch, and errors
that name the argument and the fix.

Each test here failed on main before the fix: it returned a wrong number (NaN maps, a broadcast
accuracy, all-zero maps, 0.0 for string labels) or raised an unhelpful exception type
(StopIteration, LinAlgError, ZeroDivisionError, AttributeError, IndexError).
"""

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numpycam as nc
from numpycam import methods as family
from numpycam.evaluation.localize import localization_accuracy
from numpycam.train.fit import accuracy, fit
from numpycam.validate import NonFiniteError

GAP = nc.gap_cnn(widths=(3, 4), seed=1)  # float32, 4 classes
RNG = np.random.default_rng(0)
X = RNG.random((6, 3, 12, 12), dtype=np.float32)
Y = np.array([0, 1, 2, 3, 0, 1])


# -- kind 1: overflow is an error that says what overflowed --------------------------------
@pytest.mark.parametrize("call", [
    lambda x: GAP.forward(x), lambda x: GAP.predict(x), lambda x: nc.cam(GAP, x, 0),
    lambda x: nc.grad_cam(GAP, x, 0), lambda x: nc.guided_backprop(GAP, x, 0),
    lambda x: family.eigen_cam(GAP, x), lambda x: family.grad_cam_plus_plus(GAP, x, 0),
], ids=["forward", "predict", "cam", "grad_cam", "guided_backprop", "eigen_cam", "grad_cam_pp"])
def test_float32_overflow_is_an_error_naming_the_layer(call):
    with pytest.raises(NonFiniteError, match=r"layer 'center'.*float32 overflowed.*float64") as info:
        call(X * np.float32(1e37))  # Center's sum over pixels overflows first
    assert isinstance(info.value, ValueError) and isinstance(info.value, FloatingPointError)


def test_the_same_input_in_float64_gives_finite_maps():
    model = nc.gap_cnn(widths=(3, 4), seed=1).astype(np.float64)
    assert np.all(np.isfinite(nc.grad_cam(model, X.astype(np.float64) * 1e37, 0)))


def test_fit_refuses_test_labels_that_do_not_fit():
    model = nc.gap_cnn(widths=(3, 4), seed=1)
    with pytest.raises(ValueError, match="6 images but 1 test labels"):
        fit(model, X, Y, epochs=1, test=(X, Y[:1]), log=None)
    with pytest.raises(ValueError, match=r"test labels must be in 0..3.*got values from 4 to 7"):
        fit(model, X, Y, epochs=1, test=(X, Y + 4), log=None)
    with pytest.raises(ValueError, match=r"labels must be in 0..3"):
        accuracy(model, X, -Y - 1)


def test_astype_refuses_non_float_types():
    model = nc.gap_cnn(widths=(3, 4), seed=1)
    for dtype in (np.int32, np.uint8, bool, np.complex64, np.float16):
        with pytest.raises(TypeError, match="float32 or np.float64"):
            model.astype(dtype)
    assert model.dtype == np.float32


def test_localization_accuracy_refuses_strings_against_ints():
    boxes = np.array([[0, 0, 4, 4], [0, 0, 4, 4]], float)
    with pytest.raises(TypeError, match="a string never equals an int"):
        localization_accuracy(boxes, boxes, ["cat", "dog"], [0, 1])
    assert localization_accuracy(boxes, boxes, ["cat", "dog"], ["cat", "cat"]) == 0.5
    assert localization_accuracy(boxes, boxes, [3, 1], np.array([3, 1])) == 1.0


def test_masked_arrays_are_refused_not_silently_unmasked():
    masked = np.ma.masked_array(X, mask=X > 0.5)
    for call in (lambda: GAP.forward(masked), lambda: nc.cam(GAP, masked, 0),
                 lambda: nc.grad_cam(GAP, masked, 0)):
        with pytest.raises(TypeError, match=r"masked array.*x.filled\(0\)"):
            call()
    with pytest.raises(TypeError, match="masked arrays are refused"):
        fit(nc.gap_cnn(widths=(3, 4)), X, np.ma.masked_array(Y, mask=Y > 1), epochs=1, log=None)


# -- kind 5: unclear errors ------------------------------------------------------------------
def test_a_model_without_dense_says_so():
    model = nc.Sequential([nc.Conv2D(3, 2, 3), nc.ReLU(), nc.GlobalAvgPool2D()])
    with pytest.raises(ValueError, match="no Dense layer.*Dense\\(features, num_classes\\)"):
        _ = model.num_classes
    with pytest.raises(ValueError, match="no Dense layer"):
        nc.grad_cam(model, X, 0)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(images=X[:0], labels=Y[:0]), ValueError, "0 images but 0 labels.*at least one image"),
    (dict(labels=Y.tolist()), None, None),  # a list of labels is fine
    (dict(labels=Y.astype(float)), TypeError, "labels must be a 1-D array of class indices"),
    (dict(lr="0.1"), TypeError, "lr must be a number.*lr=0.001"),
    (dict(lr=float("nan")), ValueError, "lr must be a finite number > 0"),
    (dict(weight_decay=-5), ValueError, "weight_decay must be a finite number >= 0, got -5"),
    (dict(model="model"), TypeError, "fit trains a numpycam Sequential model, got str"),
])
def test_fit_names_the_argument_and_the_fix(kwargs, error, message):
    args = dict(model=nc.gap_cnn(widths=(3, 4)), images=X, labels=Y) | kwargs
    model, images, labels = args.pop("model"), args.pop("images"), args.pop("labels")
    if error is None:
        fit(model, images, labels, epochs=1, log=None, **args)
        return
    with pytest.raises(error, match=message):
        fit(model, images, labels, epochs=1, log=None, **args)


def test_fit_on_flat_rows_asks_for_flip_false():
    model = nc.Sequential([nc.Dense(6, 3)])
    rows, labels = RNG.random((8, 6)), np.arange(8) % 3
    with pytest.raises(ValueError, match="pass flip=False"):
        fit(model, rows, labels, epochs=1, log=None)
    assert len(fit(model, rows, labels, epochs=1, flip=False, log=None).rows) == 1


@pytest.mark.parametrize("key, shape", [("fc", (4, 2)), ("conv2", (4, 3, 3)), ("fc", (5, 4))])
def test_a_weight_of_the_wrong_shape_is_named(key, shape):
    model = nc.gap_cnn(widths=(3, 4), seed=1)
    model[key].W = np.zeros(shape, np.float32)
    with pytest.raises(ValueError, match=rf"{key}/W is \({shape[0]}, .*layer '{key}'.*needs shape"):
        model.forward(X)


# -- kind 4: explanations in batches -----------------------------------------------------
METHODS = {
    "cam": nc.cam, "grad_cam": nc.grad_cam, "guided_backprop": nc.guided_backprop,
    "guided_grad_cam": nc.guided_grad_cam, "layer_cam": family.layer_cam,
    "eigen_cam": family.eigen_cam, "score_cam": family.score_cam,
}


@settings(max_examples=10, deadline=None)
@given(name=st.sampled_from(sorted(METHODS)), n=st.integers(1, 9), b=st.integers(1, 10),
       seed=st.integers(0, 100))
def test_batches_do_not_change_the_result(name, n, b, seed):
    model = nc.gap_cnn(widths=(3, 4), seed=1, dtype=np.float64)
    rng = np.random.default_rng(seed)
    x, c = rng.random((n, 3, 12, 12)), rng.integers(0, 4, n)
    whole = METHODS[name](model, x, c, batch_size=64)
    parts = METHODS[name](model, x, c, batch_size=b)
    np.testing.assert_allclose(parts, whole, rtol=1e-12, atol=1e-12)


def test_details_are_joined_across_batches():
    model = nc.gap_cnn(widths=(3, 4), seed=1, dtype=np.float64)
    x = RNG.random((7, 3, 12, 12))
    whole = nc.grad_cam(model, x, Y.tolist() + [2], details=True)
    parts = nc.grad_cam(model, x, Y.tolist() + [2], details=True, batch_size=3)
    for field in ("maps", "f", "weights", "scores", "c"):
        np.testing.assert_allclose(getattr(parts, field), getattr(whole, field), rtol=1e-12)


def test_memory_stays_bounded_as_n_grows():
    # the peak for 8 times the images is about the same (before: 8 times larger)
    model = nc.gap_cnn(seed=0)  # the shipped architecture, float32
    peaks = {}
    for n in (64, 512):
        x = np.random.default_rng(1).random((n, 3, 32, 32), dtype=np.float32)
        tracemalloc.start()
        nc.grad_cam(model, x, 0, batch_size=32)
        peaks[n] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peaks[512] < 1.5 * peaks[64], peaks
