"""``Sequential``: an ordered list of named layers; forward gives the class scores S.

    scores = model.forward(x)                  # (N, num_classes), S^c before softmax
    f = model.activation("conv3")              # output of a named layer in that forward pass
    dx = model.backward(dscores)               # fills every dW, db; returns dL/dx
    g = model.backward(dscores, until="conv3") # stops early: returns dL/df at conv3's output
    model.backward(dscores, until="relu3", keep=("relu3", "relu4"))
    g4 = model.gradient("relu4")               # dL/df at relu4's output, from the same pass
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from numpycam.nn.layer import Layer
from numpycam.nn.layers import Dense
from numpycam.nn.named_layers import NamedLayers, evaluation_mode
from numpycam.validate import as_float_array, as_images, check_finite, positive_int


class Sequential(NamedLayers):
    """Layers applied in order; each has a unique name (given, or generated: conv1, relu1, ...).
    Lookup by name, parameters, ``train``/``eval``, ``freeze`` and ``astype`` come from
    :class:`~numpycam.nn.named_layers.NamedLayers`; the passes are here."""

    class_names: tuple[str, ...] | None = None  # the name of each class, if known: the maps then
    # take c="tabby" (numpycam.methods.targets); set by numpycam.pretrained("efficientnet_lite0")

    def __init__(self, layers: Iterable[Layer | tuple[str, Layer]]) -> None:
        super().__init__(layers)
        self._outputs: list[np.ndarray] | None = None  # every layer's output in the last forward
        self._kept: dict[int, np.ndarray] = {}  # dL/d(output) kept by the last backward

    @property
    def in_channels(self) -> int | None:
        """Channels of the input images, fixed by the first layer that fixes them (Conv2D,
        BatchNorm2D, a block's first such layer, ...); None when the model takes flat rows
        (it starts with Dense) or nothing fixes them."""
        for lay in self.layers:
            c = lay.expects_channels
            if c is not None:
                return c or None
        return None

    @property
    def num_classes(self) -> int:
        """Classes scored by the last Dense layer (the outer model's, not a block's)."""
        last = next((lay for lay in reversed(self.layers) if isinstance(lay, Dense)), None)
        if last is None:
            raise ValueError(f"this model has no Dense layer, so it has no class scores "
                             f"(layers: {self.names}); end it with Dense(features, num_classes)")
        return last.out_features

    # -- passes ----------------------------------------------------------------------------
    def check_input(self, x) -> np.ndarray:
        """x as a finite float array: an NCHW batch with ``in_channels`` channels for a model
        that starts with a convolution, rows (N, features) for one that starts with Dense."""
        if self.in_channels is not None:
            return as_images(x, self.in_channels)
        arr = as_float_array(x)
        if arr.ndim < 2 or arr.shape[0] == 0:
            raise ValueError(f"x must be a non-empty batch (N, ...), got shape {arr.shape}; "
                             "for one example use x[None]")
        return arr

    def check_weights(self) -> None:
        """Every parameter and buffer an ndarray of the shape its layer's config gives (a weight
        replaced by hand with another shape fails here, named, not deep inside NumPy)."""
        for path, layer in self._walk(False):
            if layer.sublayers():
                continue
            for p, shape in type(layer).param_shapes(layer.config()).items():
                arr = getattr(layer, p, None)
                if not isinstance(arr, np.ndarray) or arr.shape != shape:
                    got = arr.shape if isinstance(arr, np.ndarray) else type(arr).__name__
                    raise ValueError(f"{path}/{p} is {got}, but layer {path!r} "
                                     f"({type(layer).__name__}) needs shape {shape}; give it an "
                                     "array of that shape, or build a new layer")

    def forward(self, x) -> np.ndarray:
        """Class scores S (N, num_classes) before softmax; keeps what backward needs.
        NonFiniteError (a ValueError) names the first layer whose output overflowed."""
        x = self.check_input(x)
        self.check_weights()
        with np.errstate(over="ignore", invalid="ignore"):  # checked just below, with a message
            scores = self.run(x)
        if not np.all(np.isfinite(scores)):
            first = next(i for i, out in enumerate(self._outputs) if not np.all(np.isfinite(out)))
            check_finite(self._outputs[first], f"the output of layer {self.layers[first].name!r}", x)
        return scores

    __call__ = forward

    def run(self, x: np.ndarray) -> np.ndarray:
        """forward without the input checks (a Block runs its body with this)."""
        outputs = []
        for layer in self.layers:
            x = layer.forward(x)
            outputs.append(x)
        self._outputs, self._kept = outputs, {}
        return x

    def predict(self, x, batch_size: int = 64) -> np.ndarray:
        """Predicted class per image (N,), computed in batches, in evaluation mode (each layer
        is put back in its mode afterwards).

        Each forward pass keeps every layer's output for backward: about 100 MB for a batch of
        64 images of 64 x 64 through the shipped ``gap`` model (measured with tracemalloc).
        """
        x = self.check_input(x)
        batch_size = positive_int(batch_size, "batch_size")
        with evaluation_mode(self):  # as the model predicts: BatchNorm's running averages, unmoved
            return np.concatenate(
                [self.forward(x[i : i + batch_size]).argmax(1) for i in range(0, len(x), batch_size)]
            )

    def activation(self, key: str | int) -> np.ndarray:
        """The output of layer ``key`` in the last forward pass."""
        if self._outputs is None:
            raise RuntimeError("call forward(x) before asking for an activation")
        return self._outputs[self.index(key)]

    def gradient(self, key: str | int) -> np.ndarray:
        """dL/d(output of layer ``key``) kept by the last ``backward(..., keep=...)``."""
        i = self.index(key)
        if i not in self._kept:
            raise RuntimeError(f"no gradient kept at {self.layers[i].name!r}; call "
                               f"backward(dscores, keep=({self.layers[i].name!r},)) first")
        return self._kept[i]

    def backward(self, dscores, *, until: str | int | None = None, keep=(), guided: bool = False,
                 input_grad: bool = True, param_grads: bool = True) -> np.ndarray | None:
        """Back-propagate dL/dS through the layers of the last forward pass.

        Fills ``dW``/``db`` of every trainable layer it passes. With ``until``, stops at that
        layer and returns the gradient with respect to its *output* (what Grad-CAM needs);
        otherwise returns dL/dx for the input (None when ``input_grad`` is False, which skips
        the first layer's input gradient in training). ``guided=True`` makes every ReLU pass
        only positive gradients (guided backprop). ``param_grads=False`` leaves every ``dW``,
        ``db`` as it was (explanations use this: they should not disturb training state).
        ``keep`` (layer names or indices, at or above ``until``) stores dL/d(output) of each of
        those layers on the way down, read back with :meth:`gradient`: several layers, one pass.
        """
        if self._outputs is None:
            raise RuntimeError("call forward(x) before backward")
        stop = -1 if until is None else self.index(until)
        if until is None and not input_grad:
            # Nothing below the first trainable layer needs a gradient: stop there and skip its
            # input gradient too (conv1's dx is the costliest one; with frozen conv layers,
            # fine-tuning the head back-propagates through the head only).
            stop = next((i for i, lay in enumerate(self.layers)
                         if lay.has_params() and lay.trainable), len(self.layers)) - 1
        kept = {self.index(k) for k in keep}
        if any(i < stop or (i == stop and until is None) for i in kept):
            raise ValueError(f"keep asks for layers below {self.layers[stop].name!r}, where the "
                             "backward pass stops; pass an earlier until")
        grad = np.asarray(dscores)
        if grad.shape != self._outputs[-1].shape:
            raise ValueError(f"dscores has shape {grad.shape}, the scores have {self._outputs[-1].shape}")
        self._kept = {}
        for i in range(len(self.layers) - 1, stop, -1):
            if i in kept:
                self._kept[i] = grad  # dL/d(output of layer i)
            layer = self.layers[i]
            grad = layer.backward(grad, guided=guided, param_grads=param_grads and layer.trainable,
                                  need_dx=input_grad or until is not None or i > stop + 1)
        if stop in kept:
            self._kept[stop] = grad
        return grad if until is not None or input_grad else None

    def __repr__(self) -> str:
        lines = [f"  {layer!r}" for layer in self.layers]
        return f"Sequential({self.num_params():,} parameters, {self.dtype}) [\n" + "\n".join(lines) + "\n]"
