"""What every method shares: the weighted sum, the one-hot dS, the Explanation, the batches.

Every map of the family is one weighted sum over the K channels of the explained layer,

    L(i, j) = sum_k weight_k f_k(i, j)        f (N, K, h, w), weights (N, K) or (N, K, h, w)

``weighted_sum`` forms it; the methods differ only in their weights (CAM: w_k^c, Grad-CAM:
a_k^c, ...) and in whether a ReLU follows. The gradient methods all start from the same two
passes: a forward pass to f (the output of ``layer``, ``feature_layer``) and a backward pass to
g = dS^c/df (``score_gradient``), S^c the raw score (logit) of class c. A method of the family
that is a rule ``weights_of(f, g)`` is made public by ``from_rule``.

Bookkeeping, kept apart from the maths: each method's maths takes checked arrays, x (N, C, H, W)
and what to explain (classes or a target: numpycam.methods.targets), and returns an
Explanation; its public function checks the inputs and runs it through ``in_batches``,
``BATCH`` images at a time, with the model in evaluation mode (``evaluation_mode``): an
explanation never changes the model (BatchNorm's running averages stay as they were).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from numpycam.methods.targets import backward_each, fold, model_targets, repeat_each, seeds
from numpycam.nn.layers import Dense, Flatten, GlobalAvgPool2D
from numpycam.nn.named_layers import evaluation_mode
from numpycam.nn.sequential import Sequential
from numpycam.validate import check_finite, positive_int

BATCH = 64  # images per forward/backward pass: memory is bounded by the batch, not by N
CLASSES_DOC = """
    ``c``: None (default) explains each image's top class, argmax S, read from the same forward
    pass; an int or a class name (model.class_names) for every image; one per image (N,); or T
    per image (N, T), which gives maps (N, T, h, w). ``target=`` instead of c explains another
    score: weights W (N, M) for y = sum_m W_m S^m, or fn(S) -> (y, dy/dS). Rules and shapes:
    numpycam.methods.targets; ``Explanation.c`` records the classes used.
"""


@dataclass(frozen=True)
class Explanation:
    """Everything one call computed, for lessons and figures.

    maps (N, h, w): the result.  f (N, K, h, w): the feature maps f_k.  weights (N, K) or
    (N, K, h, w): w_k^c or a_k^c.  scores (N, M): S before softmax.  c (N,): the classes
    explained: those asked for, or with c=None each image's top class argmax S.  layer: the
    name of the layer whose output is f. With T classes per image (c of shape (N, T)) maps,
    weights and c get a T axis after N: (N, T, h, w), (N, T, K[, h, w]), (N, T); c is -1 where
    target= explained a score that is not one class (numpycam.methods.targets).
    """

    maps: np.ndarray
    f: np.ndarray
    weights: np.ndarray
    scores: np.ndarray
    c: np.ndarray
    layer: str

    @property
    def weighted(self) -> np.ndarray:
        """The K per-channel maps weight_k * f_k (N, [T,] K, h, w), before they are summed."""
        f = self.f if self.maps.ndim == 3 else self.f[:, None]  # (N, [T,] K, h, w)
        w = self.weights if self.weights.ndim == f.ndim else self.weights[..., None, None]
        return w * f

    @property
    def Z(self) -> int:
        """Positions per feature map, h * w."""
        return self.f.shape[2] * self.f.shape[3]

    def __repr__(self) -> str:
        return (f"Explanation(maps {self.maps.shape}, f {self.f.shape} at {self.layer!r}, "
                f"weights {self.weights.shape}, c={self.c.tolist()})")


def weighted_sum(f: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """sum_k weight_k f_k: f (N, K, h, w) with weights (N, K) or per position (N, K, h, w)."""
    if weights.ndim == 2:
        return np.einsum("nk,nkij->nij", weights, f)  # (N, h, w)
    return (weights * f).sum(axis=1)  # (N, h, w)


def one_hot(c: np.ndarray, num_classes: int) -> np.ndarray:
    """dS (N, M): row n is 1 at class c[n], so one backward pass gives every image the gradient
    of its own score S^{c_n} (images in a batch do not interact)."""
    c = np.asarray(c)
    if c.ndim != 1 or c.dtype.kind not in "iu" or np.any(c < 0) or np.any(c >= num_classes):
        raise ValueError(f"one_hot takes one class per image, ints 0..{num_classes - 1} of shape (N,); "
                         f"got {c.dtype} of shape {c.shape}" + (f" with values {c.min()}..{c.max()}"
                                                               if c.size and c.dtype.kind in "iu" else ""))
    d = np.zeros((len(c), num_classes))
    d[np.arange(len(c)), c] = 1
    return d


def in_batches(maths: Callable, model: Sequential, x: np.ndarray, c: np.ndarray | None, b: int,
               *, details: bool = False, what: str = "the maps", **options):
    """``maths(model, x[i:i+b], c[i:i+b], **options)`` over batches of b images, joined.

    ``maths`` returns an Explanation (a map method) or an array (an input gradient). Images in a
    batch do not interact, so the result is that of one call on all of x, with memory bounded
    by b. Returned: the maps (N, h, w) or the array, checked finite (NonFiniteError naming
    ``what``); with ``details`` the whole Explanation. ``c`` (classes or target weights) is
    sliced with x; None (top classes) and a target function are passed on as they are. The
    model runs in evaluation mode throughout (:func:`evaluation_mode`).
    """
    b = positive_int(b, "batch_size")

    def part(i):
        xb = x[i : i + b]
        out = maths(model, xb, c[i : i + b] if isinstance(c, np.ndarray) else c, **options)
        check_finite(out.maps if isinstance(out, Explanation) else out, what, xb)
        return out.maps if isinstance(out, Explanation) and not details else out

    with evaluation_mode(model):
        return joined(part, len(x), b, details)


def joined(part: Callable, n: int, b: int, details: bool):
    """part(0), part(b), ... joined along the images: the maps (N, ...) or an Explanation."""
    if n <= b:
        return part(0)
    if details:
        parts = [part(i) for i in range(0, n, b)]
        fields = ("maps", "f", "weights", "scores", "c")
        return Explanation(*(np.concatenate([getattr(p, k) for p in parts]) for k in fields),
                           parts[0].layer)
    first = part(0)
    out = np.empty((n, *first.shape[1:]), first.dtype)  # filled in place: no second copy
    out[:b] = first
    for i in range(b, n, b):
        out[i : i + b] = part(i)
    return out


def feature_layer(model: Sequential, layer: str | int | None) -> int:
    """Index of ``layer``, or by default of the last layer whose output is a 4-D map.

    The output stays a 4-D map (N, K, h, w) up to the first GAP, Flatten or Dense layer, which
    makes it flat; so which layers qualify follows from the layer types, without a forward pass.
    """
    flat = next((i for i, lay in enumerate(model.layers)
                 if isinstance(lay, (GlobalAvgPool2D, Flatten, Dense))), len(model.layers))
    if layer is None:
        if flat == 0:
            raise ValueError("this model has no layer with a 4-D (N, K, h, w) output to explain")
        return flat - 1
    i = model.index(layer)
    if i >= flat:
        raise ValueError(
            f"layer {model.layers[i].name!r} outputs a flat (N, features) array, not a 4-D map "
            f"(N, K, h, w); Grad-CAM needs one of {model.names[:flat]}"
        )
    return i


def score_gradient(model: Sequential, x, dscores: np.ndarray, layer: int):
    """(S, f, g): scores, the output f of ``layer`` and g = d(sum_n,c dscores[n,c] S^c_n)/df."""
    scores = model.forward(x)  # (N, M)
    f = model.activation(layer)  # (N, K, h, w)
    g = model.backward(np.asarray(dscores, dtype=scores.dtype), until=layer, param_grads=False)
    return scores, f, g


def gradient_explanation(model: Sequential, x: np.ndarray, c: np.ndarray, layer, weights_of,
                         relu: bool) -> Explanation:
    """A gradient method's maths, one batch: the map whose weights are ``weights_of(f, g)``.

    Grad-CAM's two passes (numpycam.methods.grad_cam) with another weight rule.
    """
    i = feature_layer(model, layer)
    scores = model.forward(x)  # (N, M)
    f = model.activation(i)  # (N, K, h, w)
    c, dS = seeds(scores, c)  # dS (N, T, M): 1 at class c (T classes per image, usually 1)
    g = backward_each(model, dS, until=i)  # (N T, K, h, w): g = dS^c/df, a backward pass per class
    fs = repeat_each(f, dS)  # (N T, K, h, w)
    weights = weights_of(fs, g)  # (N T, K) or (N T, K, h, w)
    maps = weighted_sum(fs, weights)  # (N T, h, w): sum_k weight_k f_k
    maps = np.maximum(maps, 0) if relu else maps  # the final ReLU, if the method has one
    return Explanation(fold(maps, c), f, fold(weights, c), scores, c, model.layers[i].name)


def gradient_method(model: Sequential, x, c, layer, weights_of, *, relu: bool, details: bool,
                    batch_size: int = BATCH, target=None):
    """The map (N, h, w) of a method whose channel weights are ``weights_of(f, g)``, g = dS^c/df,
    or with ``details`` its Explanation; ``batch_size`` images at a time. ``c``, ``target``: the
    rules of numpycam.methods.targets (c=None: each image's top class)."""
    x, c = model_targets(model, x, c, target)
    return in_batches(gradient_explanation, model, x, c, batch_size, details=details,
                      layer=layer, weights_of=weights_of, relu=relu)


def from_rule(name: str, weights_of: Callable, *, relu: bool, doc: str) -> Callable:
    """``name(model, x, c=None, layer=None, *, relu=relu, details=False, batch_size=BATCH,
    target=None)``: the map (N, h, w) whose channel weights are ``weights_of(f, g)`` at
    ``layer``, g = dS^c/df from one backward pass. ``doc`` is the function's docstring (its
    equation and paper); the rules for c and target are added to it."""

    def method(model, x, c=None, layer: str | int | None = None, *, relu: bool = relu,
               details: bool = False, batch_size: int = BATCH, target=None):
        return gradient_method(model, x, c, layer, weights_of, relu=relu, details=details,
                               batch_size=batch_size, target=target)

    method.__name__ = method.__qualname__ = name
    method.__module__ = weights_of.__module__
    method.__doc__ = doc + CLASSES_DOC
    return method
