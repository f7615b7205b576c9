"""Calling a student's function and judging what comes back: the words of every failure.

A check raises ``Failure`` with one sentence that says what was wrong, on which input, and,
for the mistakes we can predict, what the student most likely did (a sum for a mean, a
flipped kernel, a transposed weight, a missing ReLU, ``>=`` for ``>``, an output one row too
big). Random inputs come from ``rngs(seed, n)``: seed 0 is the public set (seeds 0..n-1, as
the tests use); any other seed draws inputs the students have not seen.
"""

from __future__ import annotations

import errno
import traceback
from collections.abc import Callable
from contextlib import contextmanager

import numpy as np

from numpycam.nn.gradcheck import rel_error

CASES = 20  # random cases per comparison with the library
FD_CASES = 5  # random cases per finite-difference check (each costs many forward calls)
TOL = 1e-9  # relative error against the library: the same float64 sums in another order
FD_TOL = 1e-7  # against central differences with h = 1e-6, as in tests/test_layers.py


class Failure(Exception):
    """A property did not hold; the message says which, on what input, and how."""


class OutOfMemory(Exception):
    """The student's code raised MemoryError (the grader's memory limit or the machine's)."""


class Exited(Exception):
    """The student's code raised SystemExit (``sys.exit``, ``exit()``, ``quit()``)."""


def call(fn: Callable, *args):
    """fn(*args) on copies of the arrays: a Failure if it raised, changed an input or gave None."""
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    try:
        out = fn(*copies)
    except (NotImplementedError, Failure):
        raise
    except MemoryError:
        raise OutOfMemory("ran out of memory") from None
    except SystemExit as err:
        raise Exited(f"called sys.exit({err.code!r})") from None
    except OSError as err:
        if err.errno == errno.EFBIG:  # the child's output limit (RLIMIT_FSIZE)
            raise Failure("printed more than the grader's output limit: print less") from None
        raise Failure(f"raised {type(err).__name__}: {err}") from None
    except Exception as err:
        code = getattr(getattr(fn, "__code__", None), "co_filename", None)
        frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename == code]
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
        raise Failure(f"{what} has shape {a.shape}, expected {tuple(shape)}" + off_by_one(a.shape,
                                                                                      shape))
    if not np.isfinite(a).all():
        raise Failure(f"{what} contains NaN or inf")
    return a


def off_by_one(got, want) -> str:
    """A note when the shapes differ by one row or column: the output-size formula."""
    got, want = tuple(got), tuple(want)
    if len(got) != len(want) or len(got) < 2:
        return ""
    diff = [g - w for g, w in zip(got, want, strict=True)]
    if any(d not in (-1, 0, 1) for d in diff) or not any(diff[-2:]) or any(diff[:-2]):
        return ""
    much = "one too many" if max(diff) > 0 else "one too few"
    return (f": {much} rows or columns; the output size is (H + 2 pad - HH) // stride + 1 "
            "(no +1 inside the division, and count the padding on both sides)")


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


def suspect(got, candidates) -> None:
    """Raise a Failure naming the first predictable mistake whose answer equals ``got``.

    ``candidates`` is a sequence of (wrong_answer, sentence); a wrong answer of another shape
    is skipped. Call it before the generic comparison, on an input where the right answer
    differs from every wrong one.
    """
    for wrong, sentence in candidates:
        wrong = np.asarray(wrong, dtype=np.float64)
        if wrong.shape == np.shape(got) and np.allclose(got, wrong, rtol=1e-9, atol=1e-12):
            raise Failure(sentence)


def show(a) -> str:
    """A small array on one line, numbers as %g: [[9.5, 29.5], [69.5, 89.5]]."""
    return " ".join(np.array2string(np.squeeze(np.asarray(a, dtype=np.float64)), separator=", ",
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


def rngs(seed: int, n: int):
    """n generators: seeds 0..n-1 for the public seed 0, otherwise streams of (seed, i)."""
    return (np.random.default_rng([seed, i] if seed else i) for i in range(n))


def maps_shape(rng, n=(1, 3), k=(1, 4), side=(1, 6)) -> tuple:
    return tuple(int(rng.integers(lo, hi + 1)) for lo, hi in (n, k, side, side))
