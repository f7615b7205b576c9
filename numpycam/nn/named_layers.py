"""The bookkeeping under ``Sequential``: uniquely named layers, looked up by name or path, and
their parameters walked by path (``block3/expand_conv/W``); training mode, freezing, dtype.

``Sequential`` (:mod:`numpycam.nn.sequential`) adds the passes, forward and backward, on top.
A name is given, or generated from the layer's kind (conv1, relu1, conv2, ...); names are unique
in one model, so Grad-CAM can ask for any layer's output by name.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager

import numpy as np

from numpycam.nn.layer import Layer, nested_layers
from numpycam.validate import check_layer_name


class NamedLayers:
    """Layers in order, each with a unique name; lookup, parameters and modes (no passes)."""

    def __init__(self, layers: Iterable[Layer | tuple[str, Layer]]) -> None:
        self.layers: list[Layer] = []
        counts: dict[str, int] = {}
        taken: set[str] = set()  # a set, so that checking n names costs O(n), not O(n^2)
        seen: set[int] = set()  # id() of every layer object in this model, nested ones included
        layers = list(layers)
        given = {item[0] for item in layers if isinstance(item, tuple) and len(item) == 2}
        for item in layers:
            name, layer = item if isinstance(item, tuple) and len(item) == 2 else (None, item)
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential takes numpycam layers, got {type(layer).__name__}")
            if name is None:  # kind + a count, skipping names the caller gave
                while name is None or name in given or name in taken:
                    counts[layer.kind] = counts.get(layer.kind, 0) + 1
                    name = f"{layer.kind}{counts[layer.kind]}"
            check_layer_name(name)
            if name in taken:
                raise ValueError(f"duplicate layer name {name!r}; layer names must be unique")
            for inner in (layer, *nested_layers(layer)):
                if id(inner) in seen:
                    raise ValueError(
                        f"the same {type(inner).__name__} object is used twice (at {name!r}); a "
                        "layer keeps the cache of its last forward pass, so one object cannot sit "
                        "at two positions. Create one instance per position, e.g. ReLU() each time")
                seen.add(id(inner))
            taken.add(name)
            layer.name = name
            self.layers.append(layer)
        if not self.layers:
            raise ValueError("a Sequential model needs at least one layer")
        self._positions: dict[str, int] = {}  # name -> index, rebuilt when the layers change

    # -- lookup ----------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return [layer.name for layer in getattr(self, "layers", [])]

    def index(self, key: str | int) -> int:
        """Position of a layer given by name or (possibly negative) index; clear error if absent."""
        n = len(self.layers)
        if isinstance(key, (bool, np.bool_)):
            raise TypeError(f"a layer is named by a string or an int, got {key!r}")
        if isinstance(key, (int, np.integer)):
            if not -n <= key < n:
                raise ValueError(f"layer index {key} out of range for {n} layers: {self.names}")
            return int(key) % n
        if isinstance(key, str):
            i = self._positions.get(key)
            if i is None or i >= n or self.layers[i].name != key:  # layers changed: re-index
                self._positions = {lay.name: j for j, lay in enumerate(self.layers)}
                i = self._positions.get(key)
            if i is None:
                raise KeyError(f"no layer named {key!r}; the layers are {self.names}")
            return i
        raise TypeError(f"a layer is named by a string or an int, got {type(key).__name__}")

    def __getitem__(self, key: str | int) -> Layer:
        return self.layers[self.index(key)]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def locate(self, path: str) -> Layer:
        """The layer at ``path``: a name, or names joined by "/" into nested blocks."""
        head, _, rest = path.partition("/")
        layer = self[head]
        if not rest:
            return layer
        if not layer.sublayers():
            raise KeyError(f"layer {head!r} has no nested layers, so {path!r} names nothing")
        return layer.body.locate(rest)

    # -- parameters, modes, dtype ----------------------------------------------------------
    def _walk(self, trainable_only: bool, prefix: str = ""):
        """(path, layer) for every layer, nested ones (a Block's body) included, in order;
        path = ``block3/expand_conv``. A frozen layer hides its nested layers too."""
        for layer in self.layers:
            if trainable_only and not layer.trainable:
                continue
            path = prefix + layer.name
            yield path, layer
            if layer.sublayers():
                yield from layer.body._walk(trainable_only, path + "/")

    def named_parameters(self, trainable_only: bool = True) -> list[tuple[str, Layer, str]]:
        """(key, layer, name) triples; key is the unique path, e.g. ``block3/expand_conv/W``
        (layer names repeat across blocks, so optimisers key their state by this)."""
        return [(f"{path}/{p}", layer, p) for path, layer in self._walk(trainable_only)
                for p in layer.param_names]

    def parameters(self, trainable_only: bool = True) -> list[tuple[Layer, str]]:
        """(layer, name) pairs: ``getattr(layer, name)`` is the array, ``'d' + name`` its grad.
        Layers nested in blocks are included."""
        return [(layer, p) for _, layer in self._walk(trainable_only) for p in layer.param_names]

    def state(self) -> dict[str, np.ndarray]:
        """Every parameter and buffer by path key, e.g. ``conv1/W``, ``block3/expand_bn/running_var``."""
        return {f"{path}/{p}": getattr(layer, p) for path, layer in self._walk(False)
                for p in layer.param_names + layer.buffer_names}

    def num_params(self) -> int:
        return sum(getattr(layer, p).size for layer, p in self.parameters(False))

    def train(self, mode: bool = True) -> NamedLayers:
        """Every layer, nested ones included, in training mode (BatchNorm uses batch
        statistics and updates its running averages); ``mode=False`` is ``eval()``."""
        for layer in self.layers:
            layer.train(mode)
        return self

    def eval(self) -> NamedLayers:
        """Every layer in evaluation mode (BatchNorm uses its running averages)."""
        return self.train(False)

    @property
    def training(self) -> bool:
        return all(layer.training for _, layer in self._walk(False))

    def freeze(self, *keys: str | int) -> NamedLayers:
        """Mark layers as not trainable (their parameters keep their values in training)."""
        for key in keys:
            self[key].trainable = False
        return self

    def unfreeze(self, *keys: str | int) -> NamedLayers:
        for key in keys or self.names:
            self[key].trainable = True
        return self

    def astype(self, dtype) -> NamedLayers:
        """Cast every parameter and buffer in place (float64 for exact checks, float32 for speed).
        Only float32 and float64 are accepted: integer weights would give all-zero maps."""
        if np.dtype(dtype) not in (np.float32, np.float64):
            raise TypeError(f"astype takes np.float32 or np.float64, got {np.dtype(dtype)}; "
                            "the layers compute in floating point")
        for _, layer in self._walk(False):
            for p in layer.param_names + layer.buffer_names:
                setattr(layer, p, getattr(layer, p).astype(dtype))
        return self

    @property
    def dtype(self):
        params = self.parameters(False)
        return getattr(*params[0]).dtype if params else None


@contextmanager
def evaluation_mode(model):
    """Run the body with every layer of ``model`` (nested ones too) in evaluation mode, then put
    each layer back in the mode it was in: a map must not move BatchNorm's running averages, and
    is the map of the model as it predicts (BatchNorm with its running averages, not the batch's)."""
    walk = getattr(model, "_walk", None)  # a Sequential (or anything that walks its layers)
    layers = [lay for _, lay in walk(False)] if walk else []
    modes = [lay.training for lay in layers]
    for lay in layers:
        lay.training = False
    try:
        yield model
    finally:
        for lay, mode in zip(layers, modes, strict=True):
            lay.training = mode
