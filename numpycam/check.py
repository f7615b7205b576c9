"""Grade a student's exercises file (``lessons/exercises/``) with the project's own tests.

Each exercise is a function with a fixed signature; its properties are the ideas of
``tests/test_layers.py`` and ``tests/test_cam.py``, drawn with plain NumPy over fixed seeds so
grading needs only numpy: a hand-worked case, agreement with the library on random shapes,
central finite differences projected on a random dout (``numpycam.gradcheck``), the guided
rule's zero pattern, and the CAM / Grad-CAM identities on random GAP networks. The reference
solutions are the library itself.

Status per exercise: "pass"; "not done" (it raises NotImplementedError); "missing" (no such
function); "FAIL" (a wrong value or shape, or an exception), with the property that failed.
"""

from __future__ import annotations

import importlib.util
import textwrap
import traceback
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

import numpy as np

from numpycam.builders import random_gap_network
from numpycam.gradcheck import away_from_zero, numerical_gradient, rel_error

CASES = 20  # random cases per comparison with the library
FD_CASES = 5  # random cases per finite-difference check (each costs many forward calls)
TOL = 1e-9  # relative error against the library: the same float64 sums in another order
FD_TOL = 1e-7  # against central differences with h = 1e-6, as in tests/test_layers.py


class LoadError(Exception):
    """The student's file is missing or does not import; the message is one line."""


class Failure(Exception):
    """A property did not hold; the message says which, on what input, and how."""


def load(path) -> ModuleType:
    """Import the file at ``path`` as a fresh module, or raise a one-line LoadError."""
    path = Path(path)
    if not path.is_file():
        raise LoadError(f"{path} is a directory, not a file" if path.is_dir()
                        else f"no such file: {path}")
    spec = importlib.util.spec_from_file_location("numpycam_student_exercises", path)
    if spec is None or spec.loader is None:
        raise LoadError(f"{path} is not a Python file")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as err:  # whatever the file does wrong, the student gets one line
        raise LoadError(f"cannot import {path}: {type(err).__name__}: {err}") from None
    return module


# Calling the student's function and judging what comes back ----------------------------------


def call(fn: Callable, *args):
    """fn(*args) on copies of the arrays: a Failure if it raised, changed an input or gave None."""
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    try:
        out = fn(*copies)
    except (NotImplementedError, Failure):
        raise
    except Exception as err:
        frames = [f for f in traceback.extract_tb(err.__traceback__)
                  if f.filename == getattr(getattr(fn, "__code__", None), "co_filename", None)]
        where = f" (line {frames[-1].lineno}: {frames[-1].line})" if frames else ""
        raise Failure(f"raised {type(err).__name__}: {err}{where}") from None
    for k, (a, c) in enumerate(zip(args, copies, strict=True)):
        if isinstance(a, np.ndarray) and not np.array_equal(a, c, equal_nan=True):
            raise Failure(f"argument {k + 1} was changed in place; compute a new array instead")
    if out is None:
        raise Failure("returned None: is the `return` missing?")
    return out


def array(out, shape, what: str = "the result") -> np.ndarray:
    """``out`` as a float64 array of the expected shape, all finite, or a Failure saying why."""
    if getattr(out, "dtype", None) in (np.float16, np.float32):
        raise Failure(f"{what} is {out.dtype}: keep float64, the precision of the inputs")
    try:
        a = np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError):
        raise Failure(f"{what} is a {type(out).__name__}, not an array of numbers") from None
    if a.shape != tuple(shape):
        raise Failure(f"{what} has shape {a.shape}, expected {tuple(shape)}")
    if not np.isfinite(a).all():
        raise Failure(f"{what} contains NaN or inf")
    return a


def agree(got, want, what: str, against: str, tol: float = TOL) -> None:
    err = rel_error(got, want)
    if not err <= tol:
        raise Failure(f"{what} differs from {against}: relative error {err:.1e} > {tol:.0e}")


def expect(got, want, what: str, Z: int | None = None) -> None:
    """Exact agreement on a hand-worked case; names the first wrong entry, spots a factor Z."""
    want = np.asarray(want, dtype=np.float64)
    if np.allclose(got, want, rtol=1e-12, atol=1e-12):
        return
    if want.size <= 9:
        msg = f"expected {what} = {show(want)}, got {show(got)}"
    else:
        i = tuple(int(v) for v in np.argwhere(~np.isclose(got, want, rtol=1e-12, atol=1e-12))[0])
        msg = f"expected {what}[{', '.join(map(str, i))}] = {want[i]:g}, got {got[i]:g}"
    if Z is not None and np.allclose(got, want * Z):
        msg += f"; that is Z = {Z} times too large: divide by Z = h * w (a mean, not a sum)"
    elif Z is not None and np.allclose(got * Z, want):
        msg += f"; that is Z = {Z} times too small: divide by Z only once"
    raise Failure(msg)


def show(a) -> str:
    """A small array on one line, numbers as %g: [[9.5, 29.5], [69.5, 89.5]]."""
    return " ".join(np.array2string(np.squeeze(a), separator=", ",
                                    formatter={"float_kind": lambda v: f"{v:g}"}).split())


@contextmanager
def on(text: str):
    """Prefix any Failure raised inside with the input it happened on."""
    try:
        yield
    except Failure as err:
        raise Failure(f"{text}: {err}") from None


def first(fn, *args):
    """f() = fn(*args)[0], for numerical_gradient, which perturbs an array of args in place."""
    return lambda: fn(*args)[0]


def rngs(n: int):
    return (np.random.default_rng(seed) for seed in range(n))


def maps_shape(rng, n=(1, 3), k=(1, 4), side=(1, 6)) -> tuple:
    return tuple(int(rng.integers(lo, hi + 1)) for lo, hi in (n, k, side, side))


# The properties, exercise by exercise ---------------------------------------------------------
# Each takes the student's function and returns None or raises Failure (or NotImplementedError).

HAND_X = np.array([[-2.0, -0.0, 0.0, 1e-300, 3.0]])  # the kink at 0, from both sides
HAND_DOUT = np.array([[5.0, 5.0, -5.0, 7.0, -1.0]])


def relu_hand(fn):
    with on(f"x = {HAND_X.tolist()}, dout = {HAND_DOUT.tolist()}"):
        dx = array(call(fn, HAND_DOUT, HAND_X), HAND_X.shape, "dx")
        if np.any(dx[HAND_X <= 0] != 0):
            raise Failure(f"dx = {dx.tolist()}: a gradient passed where x <= 0, where ReLU's "
                          "slope is 0 (at x == 0 too)")
        if np.any(dx[(HAND_X > 0) & (HAND_DOUT < 0)] == 0):
            raise Failure(f"dx = {dx.tolist()}: a negative gradient was dropped where x > 0; "
                          "that is the guided rule, not ReLU's derivative")
        expect(dx, HAND_DOUT * (HAND_X > 0), "dx")


def relu_fd(fn):
    from numpycam.ops.basic import relu_forward

    for rng in rngs(FD_CASES):
        x = away_from_zero(rng, maps_shape(rng))
        dout = rng.standard_normal(x.shape)
        with on(f"x {x.shape}"):
            dx = array(call(fn, dout, x), x.shape, "dx")
            num = numerical_gradient(first(relu_forward, x), x, dout)
            agree(dx, num, "dx", "the finite-difference gradient", FD_TOL)


def relu_library(fn):
    from numpycam.ops.basic import relu_backward

    for rng in rngs(CASES):
        x = rng.standard_normal(maps_shape(rng))
        x[rng.random(x.shape) < 0.2] = 0.0  # exact zeros: the derivative there is taken as 0
        dout = rng.standard_normal(x.shape)
        with on(f"x {x.shape}"):
            agree(array(call(fn, dout, x), x.shape, "dx"), relu_backward(dout, x > 0), "dx",
                  "numpycam.ops.basic.relu_backward")


def guided_hand(fn):
    with on(f"x = {HAND_X.tolist()}, dout = {HAND_DOUT.tolist()}"):
        dx = array(call(fn, HAND_DOUT, HAND_X), HAND_X.shape, "dx")
        if np.any(dx[HAND_DOUT <= 0] != 0):
            raise Failure(f"dx = {dx.tolist()}: a gradient <= 0 passed; the guided rule drops them")
        expect(dx, HAND_DOUT * (HAND_X > 0) * (HAND_DOUT > 0), "dx")


def guided_zero_pattern(fn):
    """As tests/test_cam.py: dx == dout exactly where x > 0 and dout > 0, and 0 elsewhere."""
    for rng in rngs(CASES):
        shape = maps_shape(rng)
        x = rng.integers(-2, 3, shape) * rng.random(shape)  # exact zeros included
        dout = rng.standard_normal(shape)
        dout.flat[::3] = 0.0
        dx = array(call(fn, dout, x), shape, "dx")
        keep = (x > 0) & (dout > 0)
        bad = np.argwhere(np.where(keep, dx != dout, dx != 0))
        if len(bad):
            i = tuple(bad[0])
            raise Failure(f"at x = {x[i]:.3g}, dout = {dout[i]:.3g}: dx = {dx[i]:.3g}, expected "
                          f"{dout[i] if keep[i] else 0.0:.3g} (shape {shape}, entry {list(i)})")


def gap_hand(fn):
    f = np.arange(120, dtype=np.float64).reshape(2, 3, 4, 5)
    with on("f = arange(120).reshape(2, 3, 4, 5)"):
        expect(array(call(fn, f), (2, 3), "F"), f.reshape(2, 3, -1).mean(-1), "F", Z=20)


def gap_library(fn):
    from numpycam.ops.pool import gap_forward

    for rng in rngs(CASES):
        f = rng.standard_normal(maps_shape(rng))
        with on(f"f {f.shape}"):
            agree(array(call(fn, f), f.shape[:2], "F"), gap_forward(f)[0], "F",
                  "numpycam.ops.pool.gap_forward")


def gap_back_hand(fn):
    dF = np.array([[20.0, 40, 60], [0, 0, 20]])
    with on(f"dF = {dF.tolist()}, f_shape = (2, 3, 4, 5)"):
        df = array(call(fn, dF, (2, 3, 4, 5)), (2, 3, 4, 5), "df")
        expect(df, np.broadcast_to(dF[:, :, None, None] / 20, df.shape), "df", Z=20)


def gap_back_fd(fn):
    from numpycam.ops.pool import gap_forward

    for rng in rngs(FD_CASES):
        f = rng.standard_normal(maps_shape(rng))
        dF = rng.standard_normal(f.shape[:2])
        with on(f"f {f.shape}"):
            df = array(call(fn, dF, f.shape), f.shape, "df")
            num = numerical_gradient(first(gap_forward, f), f, dF)
            agree(df, num, "df", "the finite-difference gradient", FD_TOL)


def gap_back_library(fn):
    from numpycam.ops.pool import gap_backward

    for rng in rngs(CASES):
        shape = maps_shape(rng)
        dF = rng.standard_normal(shape[:2])
        with on(f"f_shape {shape}"):
            agree(array(call(fn, dF, shape), shape, "df"), gap_backward(dF, shape), "df",
                  "numpycam.ops.pool.gap_backward")


def cam_hand(fn):
    f = np.zeros((1, 2, 2, 2))
    f[0, 0, 0, 0], f[0, 1, 1, 1] = 1.0, 2.0
    w = np.array([[3.0, -1.0]])
    with on("f_1 = [[1, 0], [0, 0]], f_2 = [[0, 0], [0, 2]], w = [[3, -1]]"):
        expect(array(call(fn, f, w), (1, 2, 2), "L"), [[[3.0, 0], [0, -2]]], "L")


def cam_library(fn):
    from numpycam.classmaps import weighted_sum

    for rng in rngs(CASES):
        f = rng.standard_normal(maps_shape(rng))
        w = rng.standard_normal(f.shape[:2])
        with on(f"f {f.shape}, w {w.shape}"):
            agree(array(call(fn, f, w), (f.shape[0],) + f.shape[2:], "L"), weighted_sum(f, w), "L",
                  "numpycam.weighted_sum")


def cam_identity(fn):
    """As tests/test_cam.py: mean_ij L^c = sum_k w_k^c F_k = S^c - b_c, and L is numpycam.cam."""
    from numpycam.classmaps import cam

    for rng in rngs(FD_CASES):
        model, x, c = random_gap_network(rng)
        e = cam(model, x, c, details=True)  # e.f (N, K, h, w), e.weights (N, K) = w^c
        with on(f"a random GAP network, f {e.f.shape}"):
            L = array(call(fn, e.f, e.weights), e.maps.shape, "L")
            S_minus_b = e.scores[np.arange(len(c)), c] - model.layers[-1].b[c]
            agree(L.mean(axis=(1, 2)), S_minus_b, "the spatial mean of L", "S^c - b_c")
            agree(L, e.maps, "L", "numpycam.cam")


def grad_cam_hand(fn):
    g = np.zeros((1, 2, 2, 2))
    g[0, 0] = [[1.0, 2.0], [3.0, 6.0]]
    g[0, 1, 0, 0] = -4.0
    with on("dS_df[0, 0] = [[1, 2], [3, 6]], dS_df[0, 1] = [[-4, 0], [0, 0]]"):
        expect(array(call(fn, g), (1, 2), "a"), [[3.0, -1.0]], "a", Z=4)


def grad_cam_library(fn):
    for rng in rngs(CASES):
        g = rng.standard_normal(maps_shape(rng))
        with on(f"dS_df {g.shape}"):
            agree(array(call(fn, g), g.shape[:2], "a"), g.mean(axis=(2, 3)), "a",
                  "numpycam.grad_cam's weights")


def grad_cam_identity(fn):
    """Generalized CAM (tests/test_cam.py): on a GAP network dS^c/df_k(i, j) = w_k^c / Z, so
    a_k^c = w_k^c / Z."""
    from numpycam.classmaps import gap_head, one_hot, score_gradient

    for rng in rngs(FD_CASES):
        model, x, c = random_gap_network(rng)
        _, f, g = score_gradient(model, x, one_hot(c, model.num_classes), gap_head(model) - 1)
        Z = f.shape[2] * f.shape[3]
        with on(f"a random GAP network, dS_df {g.shape}"):
            a = array(call(fn, g), g.shape[:2], "a")
            agree(a, model.layers[-1].W[c] / Z, "a", "w^c / Z")


def conv_case(rng):
    """x, W, b, stride, pad as in tests/test_layers.py: kernels 1-3, strides 1-3, pads 0-2."""
    N, C, D, HH, WW = (int(v) for v in rng.integers(1, [3, 4, 4, 4, 4]))
    stride, pad = int(rng.integers(1, 4)), int(rng.integers(0, 3))
    x = rng.standard_normal((N, C, HH + int(rng.integers(0, 5)), WW + int(rng.integers(0, 5))))
    return x, rng.standard_normal((D, C, HH, WW)), rng.standard_normal(D), stride, pad


def describe(x, W, stride, pad):
    return f"x {x.shape}, W {W.shape}, stride {stride}, pad {pad}"


HAND_CONV_X = np.arange(9.0).reshape(1, 1, 3, 3)  # [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
HAND_CONV_W = np.ones((1, 1, 2, 2))


def conv_hand(fn):
    for stride, pad, want in ((1, 0, [[9.0, 13], [21, 25]]), (2, 1, [[1.0, 4], [10, 25]])):
        with on(f"x = [[0, 1, 2], [3, 4, 5], [6, 7, 8]], W = ones 2x2, b = 1, stride {stride}, "
                f"pad {pad}"):
            out = array(call(fn, HAND_CONV_X, HAND_CONV_W, np.ones(1), stride, pad),
                        (1, 1, 2, 2), "out")
            expect(out, np.array(want)[None, None], "out")


def conv_library(fn):
    from numpycam.ops.conv import conv_forward_naive

    for rng in rngs(CASES):
        x, W, b, stride, pad = conv_case(rng)
        want = conv_forward_naive(x, W, b, stride, pad)[0]
        with on(describe(x, W, stride, pad)):
            agree(array(call(fn, x, W, b, stride, pad), want.shape, "out"), want, "out",
                  "numpycam.ops.conv.conv_forward_naive")


def conv_grads(fn, dout, x, W, stride, pad):
    grads = call(fn, dout, x, W, stride, pad)
    if not isinstance(grads, (tuple, list)) or len(grads) != 3:
        raise Failure(f"returned a {type(grads).__name__}, not the tuple (dx, dW, db)")
    shapes = (x.shape, W.shape, W.shape[:1])
    return [array(g, s, name) for g, s, name in zip(grads, shapes, ("dx", "dW", "db"), strict=True)]


def conv_back_hand(fn):
    with on("x = [[0, 1, 2], [3, 4, 5], [6, 7, 8]], W = ones 2x2, dout = ones 2x2, stride 1, "
            "pad 0"):
        dx, dW, db = conv_grads(fn, np.ones((1, 1, 2, 2)), HAND_CONV_X, HAND_CONV_W, 1, 0)
        expect(db, [4.0], "db")
        expect(dW, [[[[8.0, 12], [20, 24]]]], "dW")
        expect(dx, [[[[1.0, 2, 1], [2, 4, 2], [1, 2, 1]]]], "dx")


def conv_back_fd(fn):
    from numpycam.ops.conv import conv_forward

    for rng in rngs(FD_CASES):
        x, W, b, stride, pad = conv_case(rng)
        out = conv_forward(x, W, b, stride, pad)[0]
        dout = rng.standard_normal(out.shape)
        with on(describe(x, W, stride, pad)):
            grads = conv_grads(fn, dout, x, W, stride, pad)
            for got, p, name in zip(grads, (x, W, b), ("dx", "dW", "db"), strict=True):
                num = numerical_gradient(first(conv_forward, x, W, b, stride, pad), p, dout)
                agree(got, num, name, "the finite-difference gradient", FD_TOL)


def conv_back_library(fn):
    from numpycam.ops.conv import conv_backward_naive, conv_forward_naive

    for rng in rngs(CASES):
        x, W, b, stride, pad = conv_case(rng)
        out, cache = conv_forward_naive(x, W, b, stride, pad)
        dout = rng.standard_normal(out.shape)
        with on(describe(x, W, stride, pad)):
            grads = conv_grads(fn, dout, x, W, stride, pad)
            wants = conv_backward_naive(dout, cache)
            for got, want, name in zip(grads, wants, ("dx", "dW", "db"), strict=True):
                agree(got, want, name, "numpycam.ops.conv.conv_backward_naive")


# The exercises, in teaching order --------------------------------------------------------------


@dataclass(frozen=True)
class Exercise:
    name: str
    signature: str
    rule: str  # the equation, shown while the exercise is not done
    hint: str  # shown with a failure
    properties: tuple  # (label, check(fn)) pairs, run in order until one fails


HAND, LIB, FD = "hand-worked case", f"= library on {CASES} random cases", \
    f"finite differences on {FD_CASES} random cases"

EXERCISES = (
    Exercise("relu_backward", "relu_backward(dout, x) -> dx", "dx = dout * [x > 0]",
             "multiply dout by the mask x > 0: nothing passes where x <= 0, every gradient "
             "(positive or negative) passes where x > 0",
             ((HAND, relu_hand), (FD, relu_fd), (LIB, relu_library))),
    Exercise("guided_relu_backward", "guided_relu_backward(dout, x) -> dx",
             "dx = dout * [x > 0] * [dout > 0]",
             "keep dout only where x > 0 and dout > 0 both hold; every other entry is exactly 0",
             ((HAND, guided_hand), (f"zero pattern on {CASES} random cases", guided_zero_pattern))),
    Exercise("gap_forward", "gap_forward(f) -> F",
             "F_k = (1/Z) sum_ij f_k(i, j): (N, K, h, w) -> (N, K)",
             "the mean of each map over its h * w positions, i.e. over axes 2 and 3",
             ((HAND, gap_hand), (LIB, gap_library))),
    Exercise("gap_backward", "gap_backward(dF, f_shape) -> df",
             "df_k(i, j) = dF_k / Z: (N, K) -> f_shape (N, K, h, w)",
             "every position of map k receives dF_k / Z: broadcast dF[:, :, None, None] / Z to "
             "f_shape",
             ((HAND, gap_back_hand), (FD, gap_back_fd), (LIB, gap_back_library))),
    Exercise("cam_sum", "cam_sum(f, w) -> L",
             "L^c(i, j) = sum_k w_k^c f_k(i, j): f (N, K, h, w), w (N, K) -> (N, h, w)",
             "weight each map by its w_k (w[:, :, None, None] * f), then sum over the channel "
             "axis 1",
             ((HAND, cam_hand), (LIB, cam_library),
              (f"mean_ij L = S^c - b_c on {FD_CASES} random GAP networks", cam_identity))),
    Exercise("grad_cam_weights", "grad_cam_weights(dS_df) -> a",
             "a_k^c = (1/Z) sum_ij dS^c/df_k(i, j): (N, K, h, w) -> (N, K)",
             "the mean of each gradient map over its h * w positions: the GAP of the gradient",
             ((HAND, grad_cam_hand), (LIB, grad_cam_library),
              (f"a = w^c / Z on {FD_CASES} random GAP networks", grad_cam_identity))),
    Exercise("conv_forward", "conv_forward(x, W, b, stride, pad) -> out",
             "out[n, f, i, j] = b[f] + sum_cpq W[f, c, p, q] xp[n, c, i*stride + p, j*stride + q]",
             "pad x with zeros first; H' = (H + 2 pad - HH) // stride + 1; window (i, j) starts "
             "at row i * stride, column j * stride of the padded x",
             ((HAND, conv_hand), (LIB + " (the loop reference)", conv_library))),
    Exercise("conv_backward", "conv_backward(dout, x, W, stride, pad) -> (dx, dW, db)",
             "out[n, f, i, j] sends dout * W[f] to its patch of dxp, dout * patch to dW[f], "
             "dout to db[f]",
             "loop as in conv_forward, adding with += into zeros of the padded shape, then cut "
             "the padding off dxp; db is dout summed over n, i, j",
             ((HAND, conv_back_hand), (FD, conv_back_fd),
              (LIB + " (the loop reference)", conv_back_library))),
)
NAMES = tuple(ex.name for ex in EXERCISES)


class Result(NamedTuple):
    exercise: Exercise
    status: str  # "pass", "FAIL", "not done" or "missing"
    detail: str  # what was checked, what failed, or the rule still to write


def grade_one(ex: Exercise, module: ModuleType) -> Result:
    fn = getattr(module, ex.name, None)
    if not callable(fn):
        return Result(ex, "missing", f"no function named {ex.name} in the file")
    for label, prop in ex.properties:
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                prop(fn)
        except NotImplementedError:
            return Result(ex, "not done", ex.rule)
        except Failure as err:
            return Result(ex, "FAIL", f"{label}: {err}")
        except Exception as err:  # e.g. an object that numpy cannot compare
            return Result(ex, "FAIL", f"{label}: {type(err).__name__}: {err}")
    return Result(ex, "pass", "; ".join(label for label, _ in ex.properties))


def grade(module: ModuleType, only=None) -> list[Result]:
    """Grade every exercise (or the names in ``only``) of an imported student module."""
    unknown = [name for name in only or () if name not in NAMES]
    if unknown:
        raise ValueError(f"unknown exercise {unknown[0]!r}; the exercises are {', '.join(NAMES)}")
    return [grade_one(ex, module) for ex in EXERCISES if not only or ex.name in only]


def report(path, results: list[Result], width: int = 100) -> str:
    """The per-exercise report and a summary line."""
    lines = [f"numpycam check {path}", ""]
    for r in results:
        lines.append(f"  {r.status:<9} {r.exercise.signature}")
        pad = " " * 12
        lines.append(textwrap.fill(r.detail, width, initial_indent=pad,
                                   subsequent_indent=pad + "  "))
        if r.status == "FAIL":
            lines.append(textwrap.fill("hint: " + r.exercise.hint, width, initial_indent=pad,
                                       subsequent_indent=pad + "      "))
    counts = {s: sum(r.status == s for r in results) for s in ("FAIL", "not done", "missing")}
    rest = ", ".join(f"{n} {s.lower() if s == 'FAIL' else s}" for s, n in counts.items() if n)
    passed = sum(r.status == "pass" for r in results)
    lines += ["", f"{passed} of {len(results)} exercises pass" + (f" ({rest})." if rest else ".")]
    return "\n".join(lines)
