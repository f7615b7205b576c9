"""The rows of ``numpycam evaluate`` (model x method x layer), and the two ways a row's maps are made.

A row is a :class:`Spec`. Which rows: CAM at the layer before GAP on the models that have a GAP
head, the methods in ``every_layer`` (Grad-CAM) at every conv ReLU, every other method of the
registry (numpycam.methods.registry.METHODS) at the last conv ReLU. f is the output of the ReLU
after a conv (non-negative maps, as the papers' f_k).

How a row's maps (N, h, w) are made:

    method_maps(model, x, c, method, layer)    the method's public function (any method)
    gradients_at(model, x, c, layers)          ONE forward and ONE backward pass: f and
                                               g = dS^c/df at every layer asked for, then
    METHODS[method].map_from(f, g)             sum_k weight_k f_k with the method's weight rule

tests/test_evaluate.py checks that both ways give the same maps.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from numpycam.methods.base import one_hot
from numpycam.methods.cam import gap_head
from numpycam.methods.registry import METHODS
from numpycam.nn.layers import Conv2D, ReLU

__all__ = ["THRESHOLDS", "Spec", "conv_relus", "gradients_at", "has_rule", "method_maps", "plan"]
THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 13))  # 0.05 .. 0.6, the threshold plot


def __getattr__(name: str):
    """``ALL_METHODS``: the registry's names, read when asked (so a method added later shows)."""
    if name == "ALL_METHODS":
        return tuple(METHODS)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Spec(NamedTuple):
    """One row: a model's name, a method's name in the registry, the name of the explained layer."""

    model: str
    method: str
    layer: str


def has_rule(method: str) -> bool:
    """Whether the method's map is its weight rule on (f, g), so the shared pass can make it."""
    return METHODS[method].weights is not None


def conv_relus(model) -> list[str]:
    """Names of the ReLU layers right after a Conv2D: the maps f_k a row can explain."""
    pairs = zip(model.layers[:-1], model.layers[1:], strict=True)
    return [b.name for a, b in pairs if isinstance(a, Conv2D) and isinstance(b, ReLU)]


def plan(models: dict, methods=None, every_layer=("grad_cam",)) -> list[Spec]:
    """The rows: methods that need a GAP head (CAM) at its layer on the models that have one,
    those in ``every_layer`` at every conv ReLU, the others at the last one. ``methods``: names
    in numpycam.methods.registry.METHODS, by default all of them."""
    methods = tuple(METHODS) if methods is None else tuple(methods)
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"unknown methods {unknown}; choose from {list(METHODS)}")
    specs = []
    for name, model in models.items():
        relus = conv_relus(model)
        for method in methods:
            if METHODS[method].needs == "gap_head":
                try:
                    specs.append(Spec(name, method, model.layers[gap_head(model) - 1].name))
                except ValueError:
                    continue  # no GAP head: CAM does not apply
            elif method in every_layer:
                specs += [Spec(name, method, r) for r in relus]
            else:
                specs.append(Spec(name, method, relus[-1]))
    return specs


def method_maps(model, x, c, method: str, layer: str | None = None) -> np.ndarray:
    """The maps (N, h, w) of ``method`` for classes c (N,), from its public function in the registry."""
    return METHODS[method].function(model, x, c, layer)


def gradients_at(model, x, c, layers) -> tuple[np.ndarray, dict]:
    """(S, {i: (f_i, g_i)}): f_i the output of layer i, g_i = dS^c/df_i, for every index in
    ``layers``, from ONE forward and ONE backward pass; ``c=None`` means the predicted class."""
    scores = model.forward(x)  # (N, M)
    c = scores.argmax(axis=1) if c is None else c
    model.backward(one_hot(c, model.num_classes).astype(scores.dtype), until=min(layers),
                   keep=layers, param_grads=False)
    return scores, {i: (model.activation(i), model.gradient(i)) for i in layers}
