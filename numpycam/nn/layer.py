"""The layer contract: ``Layer``, the registry of layer classes, and a layer's saved description.

A layer keeps parameters and a cache around a pure forward / backward pair of
:mod:`numpycam.ops`. Convention for parameters and their gradients, used everywhere: a layer's
parameters are attributes named in ``layer.param_names`` (``W``, ``b``), and after ``backward``
each gradient sits beside its parameter with a ``d`` in front (``dW``, ``db``). Arrays are NCHW.
"""

from __future__ import annotations

import numpy as np

LAYER_TYPES: dict[str, type] = {}
"""Every layer class of numpycam by class name: what ``load`` rebuilds a saved model from.

Filled by ``Layer.__init_subclass__``, so a layer defined in any numpycam module (``layers``,
``mobile``, ``blocks``) is registered where it is written; nothing keeps its own list.
"""


class Layer:
    """Base class: ``forward(x) -> out`` keeps a cache, ``backward(dout) -> dx`` uses it.

    ``param_names`` are trained; ``buffer_names`` (BatchNorm's running averages) are saved with
    the model but never trained. ``training`` says which mode the layer is in (``train()`` /
    ``eval()``); only layers that behave differently (BatchNorm2D) look at it.
    """

    kind = "layer"  # prefix of generated names, e.g. conv -> conv1, conv2
    param_names: tuple[str, ...] = ()
    buffer_names: tuple[str, ...] = ()
    expects_channels: int | None = None  # channels the input must have (0: a flat input)
    holds_layers = False  # True for a Block: its config is {"layers": [specs of its layers]}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__module__.startswith("numpycam.") and not cls.__name__.startswith("_"):
            LAYER_TYPES[cls.__name__] = cls  # private bases are not layers a file may name

    def __init__(self) -> None:
        self.name: str | None = None
        self.trainable = True
        self.training = True
        self._cache = None

    def train(self, mode: bool = True) -> Layer:
        """Switch to training mode (or evaluation mode with ``mode=False``); returns self."""
        self.training = bool(mode)
        return self

    def eval(self) -> Layer:
        return self.train(False)

    def sublayers(self) -> list[Layer]:
        """Layers nested inside this one (a Block's body); none for a plain layer."""
        return []

    def has_params(self) -> bool:
        """True if this layer or a layer nested in it has parameters to train."""
        return bool(self.param_names) or any(lay.trainable and lay.has_params()
                                             for lay in self.sublayers())

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dout: np.ndarray, *, guided: bool = False, param_grads: bool = True,
                 need_dx: bool = True) -> np.ndarray | None:
        """dL/dx from dout = dL/d(out), with the cache of the last forward pass.

        ``Sequential.backward`` passes the same three keywords to every layer, and a layer
        names all three (no ``**kwargs``), so a misspelt keyword is a TypeError, not ignored:
        ``guided``: ReLU and ReLU6 apply guided backprop's rule (the others ignore it);
        ``param_grads=False``: leave ``dW``, ``db`` as they are (and skip computing them);
        ``need_dx=False``: nothing below needs dL/dx, so a layer may skip it and return None.
        """
        raise NotImplementedError

    def config(self) -> dict:
        """The constructor arguments, enough to rebuild the layer (used by ``save``)."""
        return {}

    @classmethod
    def param_shapes(cls, config: dict) -> dict[str, tuple[int, ...]]:
        """Shape of every parameter and buffer that ``cls(**config)`` would hold, computed from
        the config alone, so ``load`` can check a file's sizes before allocating anything.
        A layer class with parameters must override this (the default: none)."""
        return {}

    def _need_cache(self):
        if self._cache is None:
            raise RuntimeError(f"{self.name or type(self).__name__}: call forward before backward")
        return self._cache

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        frozen = "" if self.trainable or not self.param_names else ", frozen"
        label = f"{self.name}: " if self.name else ""
        return f"{label}{type(self).__name__}({args}{frozen})"


def layer_spec(layer: Layer) -> dict:
    """What ``save`` writes for one layer: {"type", "name", "config"} (JSON-ready); a block's
    config holds the specs of its own layers."""
    return {"type": type(layer).__name__, "name": layer.name, "config": layer.config()}


def nested_layers(layer: Layer):
    """Every layer inside ``layer`` (a block's body, recursively), in order."""
    for inner in layer.sublayers():
        yield inner
        yield from nested_layers(inner)
