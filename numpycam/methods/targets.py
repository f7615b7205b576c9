"""What a map explains: a class per image, several classes per image, or any score of the scores.

Every gradient method differentiates one number y_n per image and map. All it needs of y is its
derivative dS = dy/dS (N, M), the seed of the backward pass (numpycam has no autodiff, so a score
that is not a class comes with its derivative). The rules, for c (classes) or target (a score):

    c = None                  y_n = S_n^{c_n}, c_n = argmax_m S_n^m: each image's top class,
                              read from the same forward pass               maps (N, h, w)
    c = 3  or  c = "tabby"    one class for every image (a name needs model.class_names)
    c = [3, 5, ...]           one class per image, (N,)                     maps (N, h, w)
    c = [[3, 5], [1, 2], ...] T classes per image, (N, T): one forward pass, one backward pass
                              per column, a map per image and class         maps (N, T, h, w)
    target = W, (N, M) or (M,)   a linear score y_n = sum_m W_nm S_n^m: dS = W (a sum of
                              classes, a difference of two classes, ...)    maps (N, h, w)
    target = fn               fn(S) -> (y (N,), dy/dS (N, M)): any score, its derivative given
                              by the caller (e.g. a softmax probability)    maps (N, h, w)
                              fn sees one batch of rows of S at a time (at most batch_size):
                              it must work row by row

With c one-hot, target = one_hot(c, M) gives the same maps as c. ``Explanation.c`` records the
classes used, (N,) or (N, T); -1 for every image explained through target=.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

import numpy as np

from numpycam.validate import as_float_array, class_indices, model_inputs


def class_number(name: str, names, *, where: str = "this model's class_names",
                 index_hint: str = "an index, or a name from model.class_names") -> int:
    """The index of class ``name`` in ``names``: the exact name, else the one name equal to it in
    any case (ImageNet has both "Cardigan", the dog, and "cardigan", the sweater: a case-only
    match of two names is refused, naming both), or a ValueError listing close names (``where``
    and ``index_hint`` word it for the caller's names)."""
    names = [str(n) for n in names]
    lower = [n.lower() for n in names]
    name = name.strip()
    if name in names:
        return names.index(name)
    key = name.lower()
    hits = [i for i, n in enumerate(lower) if n == key]
    if len(hits) > 1:
        raise ValueError(f"{name!r} matches {', '.join(f'{names[i]!r} ({i})' for i in hits)} but for "
                         "the case; write it exactly, or give the index")
    if hits:
        return hits[0]
    close = difflib.get_close_matches(key, lower, n=3, cutoff=0.6)
    hint = (f"; did you mean {', '.join(repr(names[lower.index(k)]) for k in close)}?" if close
            else f"; give {index_hint}")
    raise ValueError(f"no class named {name!r} in {where}{hint}")


def by_name(c, model):
    """``c`` with every class name replaced by its index in ``model.class_names``."""
    if isinstance(c, (str, np.str_)):
        names = getattr(model, "class_names", None)
        if names is None:
            raise TypeError(f"c={str(c)!r} is a class name, but this model has no class_names; give "
                            "a class index, or name the classes: model.class_names = [...] "
                            "(one name per class, in the order of the scores)")
        if len(names) != model.num_classes:
            raise ValueError(f"model.class_names holds {len(names)} names, but the model has "
                             f"{model.num_classes} classes; give one name per class")
        return class_number(str(c), list(names))
    if isinstance(c, (list, tuple)) or (isinstance(c, np.ndarray) and c.dtype.kind in "UO"):
        return [by_name(k, model) for k in c]
    return c


def model_targets(model, x, c=None, target=None) -> tuple[np.ndarray, object]:
    """(x, want) checked: x an NCHW batch for ``model``; want None (top classes), class indices
    (N,) or (N, T), target weights (N, M) (float), or a callable; see the module docstring."""
    if target is not None:
        if c is not None:
            raise TypeError("give c (classes) or target (a score), not both")
        x, _ = model_inputs(model, x, 0)
        return x, as_target(target, len(x), model.num_classes)
    x, _ = model_inputs(model, x, 0)
    if c is None:
        return x, None
    c = by_name(c, model)
    if isinstance(c, (list, tuple, np.ndarray)) and len(c) and any(
            isinstance(k, (list, tuple, np.ndarray)) for k in c):
        try:
            arr = np.asarray(c)
        except ValueError:
            arr = np.empty(0)
        if arr.ndim != 2 or arr.shape[0] != len(x) or arr.shape[1] == 0 or arr.dtype.kind not in "iu":
            raise ValueError(f"several classes per image are an (N, T) array of ints, the same "
                             f"number T >= 1 for each of the N = {len(x)} images; got "
                             f"{'ragged lists' if arr.ndim != 2 else f'shape {arr.shape}'}")
        flat = class_indices(arr.ravel(), arr.size, model.num_classes)
        return x, flat.reshape(arr.shape)  # (N, T)
    return x, class_indices(c, len(x), model.num_classes)  # (N,)


def as_target(target, n: int, m: int):
    """A callable as it is, or linear weights W as a checked float (n, m) array."""
    if callable(target):
        return target
    w = np.asarray(target) if isinstance(target, (list, tuple, np.ndarray)) else target
    if isinstance(w, np.ndarray) and w.dtype.kind in "biu":
        w = w.astype(np.float64)  # integer weights (a 0/1 row) are weights all the same
    w = as_float_array(w, "target")
    if w.ndim == 1:
        w = np.broadcast_to(w, (n, len(w)))
    if w.shape != (n, m):
        raise ValueError(f"target weights must have shape (N, M) = ({n}, {m}) or (M,) = ({m},), "
                         f"one weight per class, got {w.shape}; for classes use c=")
    return w


def seeds(S: np.ndarray, want) -> tuple[np.ndarray, np.ndarray]:
    """(c, dS): the classes explained, (N,) or (N, T), and the seeds dS = dy/dS, (N, T, M),
    one backward pass per column t. ``want`` as returned by :func:`model_targets`."""
    n, m = S.shape
    if callable(want):
        return np.full(n, -1), called_target(want, S)[:, None]  # (N, 1, M)
    if want is not None and want.dtype.kind == "f":
        return np.full(n, -1), np.asarray(want, dtype=S.dtype)[:, None]  # (N, 1, M): dS = W
    c = S.argmax(axis=1) if want is None else want  # (N,): the top class, or (N, T)
    cols = c.reshape(n, -1)  # (N, T)
    dS = np.zeros((n, cols.shape[1], m), dtype=S.dtype)  # (N, T, M)
    np.put_along_axis(dS, cols[..., None], 1, axis=2)  # 1 at class c_nt: y = S^c
    return c, dS


def called_target(fn: Callable, S: np.ndarray) -> np.ndarray:
    """dy/dS (N, M) from ``fn(S) -> (y, dy/dS)``, checked."""
    out = fn(S.copy())
    if not (isinstance(out, tuple) and len(out) == 2):
        raise TypeError("a target function returns a pair (y, dy_dS): y (N,) the score of each "
                        "image, dy_dS (N, M) its derivative with respect to the scores S; "
                        f"got {type(out).__name__}")
    y, d = (np.asarray(v, dtype=S.dtype) for v in out)
    if y.shape != S.shape[:1] or d.shape != S.shape:
        raise ValueError(f"the target function got S {S.shape} and must return y {S.shape[:1]} "
                         f"and dy_dS {S.shape}; got {y.shape} and {d.shape}")
    if not np.all(np.isfinite(d)):
        raise ValueError("the target function returned a NaN or infinite derivative dy_dS")
    return d


def repeat_each(a: np.ndarray, dS: np.ndarray) -> np.ndarray:
    """a (N, ...) repeated once per seed, (N T, ...), image-major (no copy when T = 1)."""
    return a if dS.shape[1] == 1 else np.repeat(a, dS.shape[1], axis=0)


def backward_each(model, dS: np.ndarray, **options) -> np.ndarray:
    """model.backward of each seed dS[:, t] after one forward pass, stacked image-major:
    (N T, ...), row n T + t the gradient of image n's t-th score."""
    grads = [model.backward(dS[:, t], param_grads=False, **options) for t in range(dS.shape[1])]
    if len(grads) == 1:
        return grads[0]
    return np.stack(grads, axis=1).reshape(-1, *grads[0].shape[1:])  # (N T, ...)


def fold(a: np.ndarray, c: np.ndarray) -> np.ndarray:
    """(N T, ...) back to (N, T, ...) when c is (N, T); (N, ...) as it is otherwise."""
    return a.reshape(*c.shape, *a.shape[1:]) if c.ndim == 2 else a
