"""Reliability (issue 8): bad input gets a clear error, numbers stay finite, files are safe, runs
are reproducible.

The fuzz tests start from a valid call and apply random faults (wrong layout, dtype, NaN / inf,
out-of-range classes, wrong layer names, bad options). Every argument is drawn from a list of
valid values or from a list of faults, so each test knows whether its call is valid. A valid call
must succeed with a finite result of the documented shape (refusing good input is a bug too); a
faulty one may succeed the same way or raise ValueError / TypeError / KeyError with a message,
never another exception type (an IndexError from deep inside, a ZeroDivisionError, a numpy
AxisError) and never a RuntimeWarning (the sign of a silent NaN).
"""

import json
import os
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numpycam as nc
from numpycam import data
from numpycam.cli import COMMANDS, main
from numpycam.methods.registry import METHODS

ALLOWED = (ValueError, TypeError, KeyError)
SIZE = 12  # image side of the fuzzed models
GAP = nc.gap_cnn(widths=(3, 4), seed=1, dtype=np.float64)  # 4 classes; conv2/relu2 maps 6 x 6
FC = nc.fc_cnn(widths=(3, 3), hidden=5, input_size=SIZE, seed=2)  # float32; no GAP
DENSE = nc.Sequential([nc.Dense(6, 3, rng=np.random.default_rng(0))])


def outcome(call):
    """The result of call(), or the allowed exception it raised (with a message); anything else,
    including a RuntimeWarning, fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            return call()
        except ALLOWED as err:
            assert not isinstance(err, IndexError), f"an IndexError leaked out: {err!r}"
            assert str(err).strip(), f"{type(err).__name__} without a message"
            return err


def checked(call, valid: bool):
    """A valid call's result (any exception or RuntimeWarning fails the test), or else outcome."""
    if not valid:
        return outcome(call)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        return call()


def finite(out, shape=None):
    arr = np.asarray(out)
    assert arr.dtype.kind in "biuf" and np.all(np.isfinite(arr)), f"not finite: {out!r}"
    if shape is not None:
        assert arr.shape == shape, (arr.shape, shape)


# -- faults -------------------------------------------------------------------------------

IMAGE_FAULTS = ["hwc", "nhwc", "chw", "channels", "5d", "2d", "scalar", "empty", "zero_side",
                "tiny", "uint8", "int", "bool", "float16", "complex", "object", "nan", "inf",
                "nested_list", "ragged", "string", "none", "huge"]


def fault_image(x, fault):
    """x (N, C, H, W) with one fault applied."""
    return {
        "hwc": lambda: x[0].transpose(1, 2, 0), "nhwc": lambda: x.transpose(0, 2, 3, 1),
        "chw": lambda: x[0], "channels": lambda: np.concatenate([x, x], axis=1),
        "5d": lambda: x[None], "2d": lambda: x[0, 0], "scalar": lambda: x[0, 0, 0, 0],
        "empty": lambda: x[:0], "zero_side": lambda: x[:, :, :0], "tiny": lambda: x[:, :, :1, :1],
        "uint8": lambda: (255 * x).astype(np.uint8), "int": lambda: x.astype(np.int64),
        "bool": lambda: x > 0.5, "float16": lambda: x.astype(np.float16),
        "complex": lambda: x + 0j, "object": lambda: x.astype(object),
        "nan": lambda: np.where(x > 0.9, np.nan, x), "inf": lambda: np.where(x > 0.9, -np.inf, x),
        "nested_list": lambda: x.tolist(), "ragged": lambda: [x[0].tolist(), [1.0]],
        "string": lambda: "image.png", "none": lambda: None, "huge": lambda: x * 1e30,
    }[fault]()


def fault_class(n, m, fault):
    """A class argument for a batch of n images and m classes: valid or faulty."""
    return {
        "int": 1, "list": list(range(n)), "array": np.arange(n) % m, "uint": np.zeros(n, np.uint8),
        "negative": -1, "too_big": m, "huge": 2**70, "short": [0] * (n + 1), "float": 1.0,
        "float_list": [0.0] * n, "bool": True, "none": None, "string": "cat", "2d": [[0]] * n,
        "negative_in_list": [-1] * n,
    }[fault]


VALID_CLASSES = ["int", "list", "array", "uint"]
CLASS_FAULTS = ["negative", "too_big", "huge", "short", "float", "float_list", "bool", "none",
                "string", "2d", "negative_in_list"]
# the explanation methods also take "none" (c=None, each image's top class) and "2d", [[0]] * n,
# one column of classes (N, T=1), which gives one map per image and class, (N, 1, ...)
METHOD_CLASSES = [*VALID_CLASSES, "none", "2d"]
BAD_LAYERS = ["gap", "fc", "flatten", "fc2", "conv9", "Conv1", "", 99, -99, 1.5, True, ("conv1",)]
# Each argument is valid about half the time, so the success path is fuzzed too.
classes = st.one_of(st.sampled_from(VALID_CLASSES), st.sampled_from(CLASS_FAULTS))
layers = st.one_of(st.sampled_from([None, "conv1", "relu2", -3, 0]), st.sampled_from(BAD_LAYERS))


def layer_is_valid(model, method: str, layer) -> bool:
    """By hand from the layer lists of GAP and FC: index -3 is relu2 on GAP, fc1 (flat) on FC;
    CAM exists on GAP only, at relu2; 0 is the Center layer, whose output is a 4-D map."""
    if method in ("guided_backprop", "input_gradient"):  # no layer argument
        return True
    if isinstance(layer, bool) or not isinstance(layer, (str, int, type(None))):
        return False
    if method == "cam":
        return model is GAP and layer in (None, "relu2", -3)
    return layer in (None, "conv1", "relu2", 0) or (model is GAP and layer == -3)


def images(n=2, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).random((n, 3, SIZE, SIZE)).astype(dtype)


faults = st.one_of(st.none(), st.sampled_from(IMAGE_FAULTS))


@settings(max_examples=200)
@given(fault=faults, cfault=classes, layer=layers,
       fc=st.booleans(), method=st.sampled_from(["guided_backprop", "guided_grad_cam", "input_gradient",
                                                 *METHODS]),
       n=st.integers(1, 2), dtype=st.sampled_from([np.float32, np.float64]))
def test_explanations_give_a_finite_map_or_a_clear_error(fault, cfault, layer, fc, method, n,
                                                         dtype):
    model = FC if fc else GAP
    x = images(n, dtype)
    bad_x = x if fault is None else fault_image(x, fault)
    c = fault_class(n, model.num_classes, cfault)
    f = getattr(nc, method)
    takes_layer = method not in ("guided_backprop", "input_gradient")
    valid = fault is None and cfault in METHOD_CLASSES and layer_is_valid(model, method, layer)
    out = checked(lambda: f(model, bad_x, c, layer) if takes_layer else f(model, bad_x, c), valid)
    if isinstance(out, Exception):
        return
    # the T axis of (N, T) classes; a method whose map ignores c (Eigen-CAM) has none
    class_specific = method not in METHODS or METHODS[method].class_specific
    per_class = (1,) if cfault == "2d" and class_specific else ()
    if method in ("guided_backprop", "guided_grad_cam", "input_gradient"):
        x_shape = np.shape(bad_x)
        finite(out, (x_shape[0], *per_class, *x_shape[1:]))
    else:
        finite(out)
        assert out.ndim == 3 + len(per_class) and out.shape[:1 + len(per_class)] == (len(bad_x), *per_class)


@settings(max_examples=60)
@given(fault=faults, model=st.sampled_from([GAP, FC, DENSE]),
       batch_size=st.sampled_from([1, 256, 0, -1, 1.5, None, True]))
def test_forward_and_predict_give_finite_scores_or_a_clear_error(fault, model, batch_size):
    if model is DENSE:  # a model that starts with Dense takes rows (N, 6): no image layout
        x = np.random.default_rng(0).random((2, 6))
        layout = {"hwc": x[0], "chw": x[0], "5d": x[None, None], "2d": x[:, :3], "scalar": x[0, 0],
                  "empty": x[:0], "zero_side": x[:, :0], "channels": x[:, :3], "tiny": x[:, :1]}
        bad_x = layout.get(fault, x[:, :, None, None] if fault == "nhwc" else None)
        bad_x = fault_image(x, fault) if bad_x is None and fault is not None else bad_x
        bad_x = x if fault is None else bad_x
    else:
        x = images(2)
        bad_x = x if fault is None else fault_image(x, fault)
    out = checked(lambda: model.forward(bad_x), fault is None)
    if not isinstance(out, Exception):
        finite(out, (len(bad_x), model.num_classes))
    out = checked(lambda: model.predict(bad_x, batch_size), fault is None and batch_size in (1, 256)
                  and not isinstance(batch_size, bool))
    if not isinstance(out, Exception):
        finite(out, (len(bad_x),))
        assert np.all((0 <= out) & (out < model.num_classes))


# faults that still leave valid maps: other real dtypes are converted, any finite values work
VALID_MAP_FAULTS = [None, "int", "bool", "float16", "huge", "constant", "negative", "wrong_n"]
MAP_FAULTS = [None, "1d", "4d", "empty_side", "int", "bool", "float16", "complex", "nan", "inf",
              "string", "huge", "constant", "negative", "wrong_n"]


def fault_maps(m, fault):
    return {
        None: lambda: m, "1d": lambda: m[0, 0], "4d": lambda: m[None],
        "empty_side": lambda: m[:, :0],
        "int": lambda: (10 * m).astype(int), "bool": lambda: m > 0.5,
        "float16": lambda: m.astype(np.float16), "complex": lambda: m + 1j, "string": lambda: "map",
        "nan": lambda: np.where(m > 0.8, np.nan, m), "inf": lambda: np.where(m > 0.8, np.inf, m),
        "huge": lambda: m * 1e308, "constant": lambda: np.zeros_like(m),
        "negative": lambda: -m - 1, "wrong_n": lambda: m[:1].repeat(3, 0),
    }[fault]()


SIZES = [None, 12, (12, 6), 0, -3, 2.5, (4,), (4, 4, 4), "big", True, np.int64(8)]
VALID_SIZES = [12, (12, 6), np.int64(8)]  # None is valid where the size is optional
BOXES = [[1, 1, 4, 3], [[0, 0, 6, 6], [2, 2, 5, 5]], [4, 1, 1, 3], [0, 0, 99, 99],
         [0.5, 0, 2, 2], [np.nan, 0, 1, 1], [0, 0, 1], "box", np.ones((2, 6, 6), bool),
         np.ones((6, 6), bool), np.zeros((2, 1, 4))]


@settings(max_examples=150)
@given(fault=st.sampled_from(MAP_FAULTS), size=st.sampled_from(SIZES),
       boxes=st.sampled_from(BOXES),
       value=st.sampled_from([0.2, 0, 1, -0.1, 1.5, np.nan, "a", None]))
def test_map_helpers_give_finite_results_or_a_clear_error(fault, size, boxes, value):
    maps = fault_maps(np.random.default_rng(0).random((2, 6, 6)), fault)
    n = np.shape(maps)[0] if np.ndim(maps) == 3 else None
    good_maps = fault in VALID_MAP_FAULTS
    good_size = any(size is s for s in VALID_SIZES)
    good_value = any(value is v for v in (0.2, 0, 1))
    out = checked(lambda: nc.normalize(maps), good_maps)
    if not isinstance(out, Exception):
        finite(out, np.shape(maps))
        assert np.all((0 <= out) & (out <= 1))
    for call, valid in (
            (lambda: nc.upsample(maps, size), good_maps and good_size),
            (lambda: nc.box_from_map(maps, value, size),
             good_maps and good_value and (size is None or good_size)),
            (lambda: nc.pointing_game(maps, boxes, size, tolerance=value), False),
            (lambda: nc.energy_in_box(maps, boxes, size), False)):
        out = checked(call, valid)
        if not isinstance(out, Exception):
            finite(out)
            if n is not None:
                assert np.shape(out)[0] == n
    for call in (lambda: nc.iou(boxes, [0, 0, 3, 3]),
                 lambda: nc.localization_accuracy(boxes, boxes, [0, 1], [0, 1], value)):
        out = outcome(call)
        if not isinstance(out, Exception):
            finite(out)
            assert np.all((0 <= np.asarray(out)) & (np.asarray(out) <= 1))


@settings(max_examples=80)
@given(fault=st.sampled_from(MAP_FAULTS), xfault=faults, cfault=classes,
       steps=st.sampled_from([2, 0, -1, 2.5, None]),
       baseline=st.sampled_from(["zeros", "blur", "noise", 0.5, np.zeros((3, 1, 1)), np.ones(5),
                                 np.nan, np.array([1, 2, 3])[:, None, None]]),
       sigma=st.sampled_from([1.0, 0, -1.0, np.nan, np.inf, "a"]))
def test_metrics_give_finite_scores_or_a_clear_error(fault, xfault, cfault, steps, baseline, sigma):
    x = images(2)
    bad_x = x if xfault is None else fault_image(x, xfault)
    maps = fault_maps(np.random.default_rng(1).random((2, 6, 6)), fault)
    c = fault_class(2, GAP.num_classes, cfault)
    kw = {"baseline": baseline, "sigma": sigma}
    good = xfault is None and fault in VALID_MAP_FAULTS and fault != "wrong_n" \
        and cfault in VALID_CLASSES
    named = baseline if isinstance(baseline, str) else None
    good_baseline = (named == "zeros" or (named == "blur" and any(sigma is v for v in (1.0, 0)))
                     or (named is None and np.shape(baseline) in ((), (3, 1, 1))
                         and np.all(np.isfinite(baseline))))
    for f in (nc.deletion_curve, nc.insertion_curve):
        out = checked(lambda f=f: f(GAP, bad_x, maps, c, steps, **kw),
                      good and good_baseline and steps == 2)
        if not isinstance(out, Exception):
            finite(out, (2, steps + 1))
            assert np.all((0 <= out) & (out <= 1))
    out = checked(lambda: nc.average_drop_increase(GAP, bad_x, maps, c), good)
    if not isinstance(out, Exception):
        finite(list(out))


@settings(max_examples=25)
@given(shape=st.sampled_from([(2, 3), (1, 1), (3,), (), (0, 3), (2, 3, 1)]),
       kind=st.sampled_from(["big", "small", "nan", "inf", "int", "complex", "string"]),
       dtype=st.sampled_from([np.float32, np.float64]),
       labels=st.sampled_from([[0, 2], [0], [3, 0], [-1, 0], [0.0, 1.0], "ab"]))
def test_softmax_and_cross_entropy_finite_or_a_clear_error(shape, kind, dtype, labels):
    s = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    s = {"big": s * 1e4, "small": s, "nan": s * np.nan, "inf": np.where(s > 0, np.inf, s),
         "int": (10 * s).astype(int), "complex": s + 1j, "string": "scores"}[kind]
    good = kind in ("big", "small", "int") and shape in ((2, 3), (1, 1))  # (N, M), N, M >= 1
    for f in (nc.softmax, nc.log_softmax):
        out = checked(lambda f=f: f(s), good)
        if not isinstance(out, Exception):
            finite(out, np.shape(s))
    if kind in ("big", "small"):  # finite scores: a finite loss and gradient, or a clear error
        good_labels = (good and not isinstance(labels, str) and len(labels) == shape[0]
                       and all(isinstance(v, int) and 0 <= v < shape[1] for v in labels))
        out = checked(lambda: nc.softmax_cross_entropy(s, np.asarray(labels)), good_labels)
        if not isinstance(out, Exception):
            finite(out[0])
            finite(out[1], np.shape(s))


@settings(max_examples=25)
@given(n=st.sampled_from([1, 2, 0, -1, 1.5, "2"]), seed=st.sampled_from([0, 7, -1, 2.0, None]),
       size=st.sampled_from([24, 10, 24.0]), clutter=st.sampled_from([1.0, 0, -1, np.nan, "x"]),
       dtype=st.sampled_from([np.float32, np.uint8, np.int16, "float64", "nope"]),
       classes=st.sampled_from([None, ("circle", "cross"), ("circle",), ("blob", "cross")]))
def test_data_generators_give_valid_data_or_a_clear_error(n, seed, size, clutter, dtype, classes):
    good = (n in (1, 2) and seed in (0, 7) and isinstance(seed, int) and size == 24
            and isinstance(size, int) and clutter in (1.0, 0)
            and dtype in (np.float32, np.uint8, "float64"))
    for call, valid in (
            (lambda: data.shapes(n, seed, size, clutter=clutter, dtype=dtype), good),
            (lambda: data.two_object_scene(n, seed, size, classes, clutter=clutter, dtype=dtype),
             good and classes in (None, ("circle", "cross")))):
        out = checked(call, valid)
        if not isinstance(out, Exception):
            assert len(out) == n and out.images.shape[1:] == (3, size, size)
            finite(out.images)


# -- the messages a student's first wrong call gets -----------------------------------------

@pytest.mark.parametrize("x, c, layer, error, words", [
    (images(1)[0].transpose(1, 2, 0), 0, None, ValueError, r"transpose\(2, 0, 1\)\[None\]"),
    (images(1).transpose(0, 2, 3, 1), 0, None, ValueError, r"transpose\(0, 3, 1, 2\)"),
    (images(1)[0], 0, None, ValueError, r"x\[None\]"),
    ((255 * images(1)).astype(np.uint8), 0, None, TypeError, "astype.*255"),
    (np.full((1, 3, SIZE, SIZE), np.nan), 0, None, ValueError, "NaN"),
    (images(1), 4, None, ValueError, r"out of range.*0\.\.3"),
    (images(1), -1, None, ValueError, "out of range"),
    (images(2), [0, 1, 2], None, ValueError, "3 class indices for a batch of 2"),
    (images(1), 0, "conv9", KeyError, "no layer named 'conv9'.*relu2"),
    (images(1), 0, 42, ValueError, "out of range"),
    (images(1), 0, "gap", ValueError, "not a 4-D map.*relu2"),
])
def test_each_wrong_first_call_names_what_was_wrong(x, c, layer, error, words):
    with pytest.raises(error, match=words):
        nc.grad_cam(GAP, x, c, layer)


def test_cam_without_a_gap_head_points_to_grad_cam():
    with pytest.raises(ValueError, match="grad_cam"):
        nc.cam(FC, images(1, np.float32), 0)


# -- numerical safety -----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_and_cross_entropy_stay_finite_at_1e4(dtype):
    s = np.array([[1e4, -1e4, 0], [-1e4, -1e4, -1e4]], dtype)
    p = nc.softmax(s)
    assert p.dtype == dtype and np.all(np.isfinite(p)) and np.allclose(p.sum(1), 1)
    assert np.all(np.isfinite(nc.log_softmax(s)))
    loss, d = nc.softmax_cross_entropy(s, np.array([1, 0]))
    assert np.isfinite(loss) and np.all(np.isfinite(d))
    assert loss == pytest.approx(1e4 + np.log(3) / 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_negative_zero_and_constant_maps_normalise_to_zeros(dtype):
    model = nc.gap_cnn(widths=(3, 4), seed=1, dtype=dtype)
    model["fc"].W[0] = -np.abs(model["fc"].W[0]) - 0.1  # class 0: every w_k^0 < 0, and f >= 0
    model["fc"].W[0, 0] = 0  # ... so CAM^0 <= 0; it is all < 0 where f_1..f_K do not all vanish
    x = images(2, dtype) + 0.5
    raw = nc.cam(model, x, 0)
    assert np.all(raw <= 0)
    assert np.all(nc.normalize(np.maximum(raw, 0)) == 0)  # the ReLU'd CAM: nothing positive
    assert np.all(np.isfinite(nc.normalize(raw)))
    zero = nc.grad_cam(model, x, 0)  # a_k^0 = w_k^0 / Z <= 0: the ReLU leaves nothing
    assert zero.dtype == dtype and np.all(zero == 0)
    for m in (zero, np.full((2, 5, 5), 3.7, dtype), np.zeros((4, 4), dtype)):
        out = nc.normalize(m)
        assert out.dtype == dtype and out.shape == m.shape and np.all(out == 0)
        up = nc.upsample(m, (9, 13))  # bilinear rounding must not make a constant map vary
        assert np.all(up == m.flat[0]) and np.all(nc.normalize(up) == 0)


@pytest.mark.parametrize("model_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_dtype", [np.float32, np.float64])
def test_float32_and_float64_both_work_everywhere(model_dtype, x_dtype):
    model = nc.gap_cnn(widths=(3, 4), seed=1, dtype=model_dtype)
    x = images(2, x_dtype)
    for f in (nc.guided_grad_cam, *(m.function for m in METHODS.values())):
        out = f(model, x, [0, 3])
        assert np.all(np.isfinite(out)) and out.dtype.kind == "f"


def test_a_diverging_learning_rate_stops_with_finite_weights():
    # A deep linear network: each layer's gradient is scaled by the others' weights, so lr=1e6
    # overflows within a few steps. (A small ReLU CNN at lr=1e6 may instead die with a huge but
    # finite loss, which is not detected.)
    rng = np.random.default_rng(0)
    x, y = rng.random((32, 6)), rng.integers(0, 3, 32)
    model = nc.Sequential([nc.Dense(6, 8), nc.Dense(8, 8), nc.Dense(8, 3)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the overflow being detected
        with pytest.raises(FloatingPointError, match="diverged.*lr"):
            nc.fit(model, x, y, epochs=5, batch_size=8, lr=1e6, optimizer="sgd", flip=False,
                   log=None)
    assert all(np.all(np.isfinite(a)) for a in model.state().values())


@pytest.mark.parametrize("make", [lambda m: nc.SGD(m, lr=0.1), lambda m: nc.Adam(m, lr=0.1)])
def test_an_optimiser_step_that_would_overflow_changes_nothing(make):
    model = nc.Sequential([nc.Dense(3, 2), nc.Dense(2, 2)])
    opt = make(model)
    model.forward(np.ones((1, 3), np.float32))
    model.backward(np.ones((1, 2), np.float32))
    opt.step()  # a good step first, so there are moments to keep
    before = {k: v.copy() for k, v in model.state().items()}
    moments = {k: {n: a.copy() for n, a in s.items()} for k, s in opt.state.items()}
    model["fc2"].dW[0, 0] = np.inf
    with warnings.catch_warnings(), pytest.raises(FloatingPointError, match="fc2/W"):
        warnings.simplefilter("ignore", RuntimeWarning)  # Adam's inf / inf, being detected
        opt.step()
    for k, v in model.state().items():
        np.testing.assert_array_equal(v, before[k])
    for k, s in opt.state.items():
        for n, a in s.items():
            np.testing.assert_array_equal(a, moments[k][n])


# -- files ----------------------------------------------------------------------------------

@pytest.fixture
def saved(tmp_path):
    path = nc.save(GAP, tmp_path / "model.npz")
    with np.load(path) as f:
        arrays = dict(f)
    return path, arrays


def rewrite(path, arrays, **header_changes):
    header = json.loads(str(arrays["__numpycam__"]))
    header.update(header_changes)
    np.savez(path, **{**arrays, "__numpycam__": np.array(json.dumps(header))})
    return path


def test_load_refuses_pickled_objects(tmp_path):
    evil = tmp_path / "evil.npz"
    np.savez(evil, __numpycam__=np.array([{"run": "code"}], dtype=object))
    with pytest.raises(ValueError, match="pickled Python objects"):
        nc.load(evil)
    raw = tmp_path / "model.pkl"
    raw.write_bytes(b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00}\x94.")  # pickle of {}
    with pytest.raises(ValueError, match="not a numpycam model"):
        nc.load(raw)


def test_load_refuses_truncated_files(saved):
    path, _ = saved
    raw = path.read_bytes()
    for cut in (0, 20, len(raw) // 2, len(raw) - 1):
        path.write_bytes(raw[:cut])
        with pytest.raises(ValueError, match="cannot be read as an .npz"):
            nc.load(path)


def test_load_refuses_corrupt_files(saved):
    path, _ = saved
    raw = path.read_bytes()
    with zipfile.ZipFile(path) as z:  # the middle of the compressed conv1 weights
        info = z.getinfo("conv1/W.npy")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    middle = start + info.compress_size // 2
    path.write_bytes(raw[:middle] + bytes(b ^ 0xFF for b in raw[middle : middle + 8])
                     + raw[middle + 8 :])
    with pytest.raises(ValueError, match="cannot be read as an .npz"):
        nc.load(path)


@settings(max_examples=30)
@given(position=st.floats(0, 1), byte=st.integers(0, 255), cut=st.booleans())
def test_any_damaged_file_loads_or_is_refused_with_a_value_error(tmp_path_factory, position,
                                                                   byte, cut):
    path = nc.save(GAP, tmp_path_factory.mktemp("damaged") / "model.npz")
    raw = bytearray(path.read_bytes())
    i = int(position * (len(raw) - 1))
    if cut:
        raw = raw[:i]
    else:
        raw[i] = byte
    path.write_bytes(bytes(raw))
    out = outcome(lambda: nc.load(path))
    assert isinstance(out, (nc.Sequential, ValueError)), repr(out)
    if isinstance(out, nc.Sequential):
        assert out.names == GAP.names


def test_load_refuses_arrays_that_do_not_match_the_architecture(saved):
    path, arrays = saved
    np.savez(path, **{**arrays, "fc/W": arrays["fc/W"][:, :2]})
    with pytest.raises(ValueError, match=r"fc/W has shape \(4, 2\).*expected \(4, 4\)"):
        nc.load(path)
    np.savez(path, **{k: v for k, v in arrays.items() if k != "conv2/b"})
    with pytest.raises(ValueError, match=r"missing \['conv2/b'\]"):
        nc.load(path)
    np.savez(path, **{**arrays, "fc/W": arrays["fc/W"].astype(int)})
    with pytest.raises(ValueError, match="int64"):
        nc.load(path)
    np.savez(path, **{**arrays, "fc/b": arrays["fc/b"] * np.nan})
    with pytest.raises(ValueError, match="NaN"):
        nc.load(path)


def test_load_refuses_a_future_format_version_and_bad_headers(saved):
    path, arrays = saved
    with pytest.raises(ValueError, match="version 2.*upgrade numpycam"):
        nc.load(rewrite(path, arrays, version=2))
    for change in ({"version": "1"}, {"version": 0}, {"layers": "conv"}, {"layers": [1]},
                   {"layers": []}, {"format": "other"}):
        with pytest.raises(ValueError, match="not a numpycam model"):
            nc.load(rewrite(path, arrays, **change))
    np.save(path.with_suffix(".npy"), np.zeros(3))
    with pytest.raises(ValueError, match="bare array"):
        nc.load(path.with_suffix(".npy"))
    with pytest.raises(FileNotFoundError):
        nc.load(path.parent / "missing.npz")


def test_an_interrupted_save_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = nc.save(GAP, tmp_path / "model.npz")
    old = path.read_bytes()

    def half_then_fail(fh, **arrays):
        fh.write(b"PK\x03\x04 half a model")
        raise KeyboardInterrupt  # the user pressed Ctrl-C in the middle of writing

    monkeypatch.setattr(np, "savez_compressed", half_then_fail)
    with pytest.raises(KeyboardInterrupt):
        nc.save(FC, path)
    assert path.read_bytes() == old and os.listdir(tmp_path) == ["model.npz"]
    monkeypatch.undo()
    nc.load(path)


def test_save_refuses_what_load_would_refuse(tmp_path):
    broken = nc.gap_cnn(widths=(3, 4), seed=1)
    broken["fc"].b[0] = np.nan
    with pytest.raises(ValueError, match="fc/b.*nothing was written"):
        nc.save(broken, tmp_path / "m.npz")
    with pytest.raises(TypeError, match="Sequential"):
        nc.save(GAP.state(), tmp_path / "m.npz")
    assert os.listdir(tmp_path) == []


# -- reproducibility ------------------------------------------------------------------------

def test_same_seed_same_data_and_same_weights_without_touching_global_state():
    np.random.seed(123)  # noqa: NPY002 - the legacy global state is what must stay untouched
    before = np.random.random()  # noqa: NPY002
    np.random.seed(123)  # noqa: NPY002
    a, b = data.shapes(6, seed=5, size=24), data.shapes(6, seed=5, size=24)
    for field in ("images", "labels", "boxes", "masks"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    s1, s2 = data.two_object_scene(3, seed=5, size=32), data.two_object_scene(3, seed=5, size=32)
    np.testing.assert_array_equal(s1.images, s2.images)
    weights = []
    for _ in range(2):
        model = nc.gap_cnn(widths=(3, 4), seed=9)
        nc.fit(model, a.images, a.labels, epochs=2, batch_size=4, seed=3, log=None)
        weights.append(model.state())
    for key in weights[0]:
        np.testing.assert_allclose(weights[0][key], weights[1][key], rtol=1e-6, atol=1e-7)
    assert any(not np.array_equal(weights[0][k], nc.gap_cnn(widths=(3, 4), seed=9).state()[k])
               for k in weights[0])  # training did move the weights
    assert np.random.random() == before  # noqa: NPY002


# -- the command line -------------------------------------------------------------------------

@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as stop:
        main([command, "--help"])
    assert stop.value.code == 0
    assert f"usage: numpycam {command}" in capsys.readouterr().out


@pytest.mark.parametrize("argv, code", [
    (["--bogus"], 2), (["nosuch"], 2), (["info", "--size", "abc"], 2), (["info", "--size", "0"], 2),
    # issue 15: a size below its range and a missing input are usage errors (2) everywhere
    (["info", "--size", "4"], 2), (["train", "--epochs", "0"], 2), (["train", "--n", "-5"], 2),
    (["evaluate", "--weights", "/nonexistent/folder"], 2), (["evaluate", "--threshold", "2"], 2),
    (["demo", "--n", "0"], 2), (["check", "/nonexistent/exercises.py"], 2),
    (["figures", "--lessons", "/nonexistent"], 2), (["bench", "--repeats", "0"], 2),
])
def test_bad_options_and_missing_files_give_one_line_and_a_nonzero_exit(argv, code, capsys,
                                                                         tmp_path, monkeypatch,
                                                                         one_blas_thread):
    # Should a check ever let the command run, it writes into tmp_path, never into the package's
    # weights/ folder (the default of ``numpycam train --out``) or ./figures.
    monkeypatch.chdir(tmp_path)
    if argv[0] in ("train", "demo", "figures", "evaluate"):
        argv = [*argv, "--out", str(tmp_path / "out")]
    try:
        rc = main(argv)
    except SystemExit as stop:
        rc = stop.code
    out, err = capsys.readouterr()
    assert rc == code, (rc, out, err)
    assert "Traceback" not in out + err
    last = err.strip().splitlines()[-1]
    assert last.startswith("numpycam") and "error:" in last
