"""What every method shares: the weighted sum, the one-hot dS, the Explanation, the batches.

Every map of the family is one weighted sum over the K channels of the explained layer,

    L(i, j) = sum_k weight_k f_k(i, j)        f (N, K, h, w), weights (N, K) or (N, K, h, w)

``weighted_sum`` forms it; the methods differ only in their weights (CAM: w_k^c, Grad-CAM:
a_k^c, ...) and in whether a ReLU follows. The gradient methods all start from the same two
passes: a forward pass to f (the output of ``layer``, ``feature_layer``) and a backward pass to
g = dS^c/df (``score_gradient``), S^c the raw score (logit) of class c. A method of the family
that is a rule ``weights_of(f, g)`` is made public by ``from_rule``.

Bookkeeping, kept apart from the maths: each method's maths takes checked arrays, x (N, C, H, W)
and c (N,), and returns an Explanation; its public function checks the inputs and runs it
through ``in_batches``, ``BATCH`` images at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from numpycam.nn.layers import Dense, Flatten, GlobalAvgPool2D
from numpycam.nn.sequential import Sequential
from numpycam.validate import check_finite, model_inputs, positive_int

BATCH = 64  # images per forward/backward pass: memory is bounded by the batch, not by N


@dataclass(frozen=True)
class Explanation:
    """Everything one call computed, for lessons and figures.

    maps (N, h, w): the result.  f (N, K, h, w): the feature maps f_k.  weights (N, K) or
    (N, K, h, w): w_k^c or a_k^c.  scores (N, M): S before softmax.  c (N,): the classes asked
    for.  layer: the name of the layer whose output is f.
    """

    maps: np.ndarray
    f: np.ndarray
    weights: np.ndarray
    scores: np.ndarray
    c: np.ndarray
    layer: str

    @property
    def weighted(self) -> np.ndarray:
        """The K per-channel maps weight_k * f_k (N, K, h, w), before they are summed."""
        w = self.weights if self.weights.ndim == 4 else self.weights[:, :, None, None]
        return w * self.f

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
    d = np.zeros((len(c), num_classes))
    d[np.arange(len(c)), c] = 1
    return d


def in_batches(maths: Callable, model: Sequential, x: np.ndarray, c: np.ndarray | None, b: int,
               *, details: bool = False, what: str = "the maps", **options):
    """``maths(model, x[i:i+b], c[i:i+b], **options)`` over batches of b images, joined.

    ``maths`` returns an Explanation (a map method) or an array (an input gradient). Images in a
    batch do not interact, so the result is that of one call on all of x, with memory bounded
    by b. Returned: the maps (N, h, w) or the array, checked finite (NonFiniteError naming
    ``what``); with ``details`` the whole Explanation. ``c`` None (class-agnostic methods) is
    passed on as None.
    """
    b = positive_int(b, "batch_size")

    def part(i):
        xb = x[i : i + b]
        out = maths(model, xb, None if c is None else c[i : i + b], **options)
        check_finite(out.maps if isinstance(out, Explanation) else out, what, xb)
        return out.maps if isinstance(out, Explanation) and not details else out

    if len(x) <= b:
        return part(0)
    if details:
        parts = [part(i) for i in range(0, len(x), b)]
        fields = ("maps", "f", "weights", "scores", "c")
        return Explanation(*(np.concatenate([getattr(p, k) for p in parts]) for k in fields),
                           parts[0].layer)
    first = part(0)
    out = np.empty((len(x), *first.shape[1:]), first.dtype)  # filled in place: no second copy
    out[:b] = first
    for i in range(b, len(x), b):
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
    scores, f, g = score_gradient(model, x, one_hot(c, model.num_classes), i)  # g = dS^c/df
    weights = weights_of(f, g)  # (N, K) or (N, K, h, w)
    maps = weighted_sum(f, weights)  # (N, h, w): sum_k weight_k f_k
    maps = np.maximum(maps, 0) if relu else maps  # the final ReLU, if the method has one
    return Explanation(maps, f, weights, scores, c, model.layers[i].name)


def gradient_method(model: Sequential, x, c, layer, weights_of, *, relu: bool, details: bool,
                    batch_size: int = BATCH):
    """The map (N, h, w) of a method whose channel weights are ``weights_of(f, g)``, g = dS^c/df,
    or with ``details`` its Explanation; ``batch_size`` images at a time."""
    x, c = model_inputs(model, x, c)
    return in_batches(gradient_explanation, model, x, c, batch_size, details=details,
                      layer=layer, weights_of=weights_of, relu=relu)


def from_rule(name: str, weights_of: Callable, *, relu: bool, doc: str) -> Callable:
    """``name(model, x, c, layer=None, *, relu=relu, details=False, batch_size=BATCH)``: the map
    (N, h, w) whose channel weights are ``weights_of(f, g)`` at ``layer``, g = dS^c/df from one
    backward pass. ``doc`` is the function's docstring (its equation and paper)."""

    def method(model, x, c, layer: str | int | None = None, *, relu: bool = relu,
               details: bool = False, batch_size: int = BATCH):
        return gradient_method(model, x, c, layer, weights_of, relu=relu, details=details,
                               batch_size=batch_size)

    method.__name__ = method.__qualname__ = name
    method.__module__ = weights_of.__module__
    method.__doc__ = doc
    return method
