"""Blocks: a named group of layers that acts as one layer, and the residual block.

    Block(layers):     out = block(x)         dx = block's backward of dout
    Residual(layers):  out = x + block(x)     dx = dout + block's backward of dout

(the residual's gradient is the sum of its two paths: the identity passes dout through
unchanged). Both hold their layers in a small ``Sequential`` (``block.body``), so an
inverted-residual block of MobileNet or EfficientNet is ONE layer of the outer model, with a
name that Grad-CAM can target: ``nc.grad_cam(model, x, c, layer="block12")``. Nested
parameters appear in ``model.state()`` under path keys such as ``block3/expand_conv/W``.
"""

from __future__ import annotations

import numpy as np

from numpycam.nn.layer import LAYER_TYPES, Layer, layer_spec
from numpycam.nn.sequential import Sequential

__all__ = ["Block", "Residual", "layer_from_spec"]


def layer_from_spec(spec) -> tuple[str, Layer]:
    """(name, layer) rebuilt from a :func:`layer_spec` dict; ValueError for a bad spec."""
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise ValueError(f"a layer description needs a name (a string): {spec!r}")
    cls = LAYER_TYPES.get(spec.get("type"))
    if cls is None:
        raise ValueError(f"unknown layer type {spec.get('type')!r}")
    config = spec.get("config", {})
    if not isinstance(config, dict):
        raise ValueError(f"layer {spec['name']!r} has a config that is not a dict: {config!r}")
    try:
        return spec["name"], cls(**config)
    except (TypeError, ValueError, KeyError) as err:
        raise ValueError(f"layer {spec['name']!r} has a bad config ({err})") from None


class Block(Layer):
    """Layers applied in order as one layer: out = block(x). ``layers`` as for ``Sequential``
    (layers or (name, layer) pairs; saved descriptions are accepted too, for ``load``)."""

    kind = "block"
    holds_layers = True

    def __init__(self, layers) -> None:
        super().__init__()
        if isinstance(layers, (Layer, dict)) or not hasattr(layers, "__iter__"):
            raise TypeError(f"{type(self).__name__} takes a list of layers, got {type(layers).__name__}")
        self.body = Sequential([layer_from_spec(it) if isinstance(it, dict) else it for it in layers])

    def sublayers(self) -> list[Layer]:
        return self.body.layers

    @property
    def expects_channels(self) -> int | None:
        return self.body.in_channels

    def train(self, mode: bool = True) -> Block:
        super().train(mode)
        self.body.train(mode)
        return self

    def forward(self, x):
        return self.body.run(x)

    def backward(self, dout, *, guided: bool = False, param_grads: bool = True, need_dx: bool = True):
        return self.body.backward(dout, guided=guided, param_grads=param_grads, input_grad=need_dx)

    def config(self):
        return {"layers": [layer_spec(lay) for lay in self.body.layers]}

    def __repr__(self) -> str:
        label = f"{self.name}: " if self.name else ""
        frozen = "" if self.trainable else " (frozen)"
        inner = "\n".join("    " + line for lay in self.body.layers for line in repr(lay).splitlines())
        return f"{label}{type(self).__name__}{frozen} [\n{inner}\n  ]"


class Residual(Block):
    """out = x + block(x); backward: dx = dout + (the block's dx). The block must keep the shape."""

    kind = "residual"

    def forward(self, x):
        y = self.body.run(x)
        if y.shape != x.shape:
            raise ValueError(f"{self.name}: a residual block must keep the shape, but {x.shape} "
                             f"became {y.shape}; use Block for a block that changes it")
        return x + y

    def backward(self, dout, *, guided: bool = False, param_grads: bool = True, need_dx: bool = True):
        dbody = self.body.backward(dout, guided=guided, param_grads=param_grads, input_grad=need_dx)
        return np.add(dout, dbody) if need_dx else None
