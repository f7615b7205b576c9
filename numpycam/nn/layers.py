"""The layers of the post's two networks: Center, Conv2D, ReLU, MaxPool2D, GlobalAvgPool2D,
Flatten, Dense. Each keeps its parameters and cache around a forward / backward pair of
:mod:`numpycam.ops` (one file per operation); the contract is :class:`numpycam.nn.layer.Layer`.
"""

from __future__ import annotations

import numpy as np

from numpycam.nn.layer import Layer
from numpycam.ops import center, dense, flatten, gap, pool, relu
from numpycam.ops import conv_fast as convops
from numpycam.validate import positive_int


class Center(Layer):
    """Subtract each image's mean colour, per channel: (N, C, H, W) -> same shape.

    A fixed first step with no parameters. The backgrounds here have random colours, and
    removing them lets the first convolution learn shape edges much sooner (without it training
    sat at chance for hundreds of steps; docs/training.md, "Getting the networks off chance
    level", has the story).
    """

    kind = "center"

    def forward(self, x):
        if x.ndim != 4:
            raise ValueError(f"{self.name}: expected images (N, C, H, W), got {x.shape}")
        out, self._cache = center.center_forward(x)
        return out

    def backward(self, dout, *, guided: bool = False, param_grads: bool = True, need_dx: bool = True):
        return center.center_backward(dout)


class Conv2D(Layer):
    """Cross-correlation with D filters: (N, C, H, W) -> (N, D, H', W'); W (D, C, HH, WW), b (D,).

    H' = (H + 2 padding - HH) // stride + 1. Weights start He-normal: std = sqrt(2 / (C HH WW)).
    ``bias=False`` drops b (for a convolution followed by BatchNorm, whose beta is the bias).
    """

    kind = "conv"
    param_names = ("W", "b")

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1,
                 padding: int = 0, *, bias: bool = True, rng: np.random.Generator | None = None,
                 dtype=np.float32) -> None:
        super().__init__()
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"bias must be True or False, got {bias!r}")
        self.bias = bool(bias)
        self.param_names = ("W", "b") if self.bias else ("W",)
        self.in_channels = positive_int(in_channels, "in_channels")
        self.out_channels = positive_int(out_channels, "out_channels")
        self.kernel_size = positive_int(kernel_size, "kernel_size")
        self.stride = positive_int(stride, "stride")
        self.padding = positive_int(padding, "padding", minimum=0)
        rng = np.random.default_rng(0) if rng is None else rng
        fan_in = in_channels * kernel_size * kernel_size
        shape = (out_channels, in_channels, kernel_size, kernel_size)
        self.W = (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(dtype)
        self.b = np.zeros(out_channels, dtype=dtype) if self.bias else None
        self.dW = self.db = None

    @property
    def expects_channels(self) -> int:
        return self.in_channels

    def forward(self, x):
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"{self.name}: expected input (N, {self.in_channels}, H, W), got {x.shape}")
        k, p = self.kernel_size, self.padding
        if x.shape[2] + 2 * p < k or x.shape[3] + 2 * p < k:
            raise ValueError(f"{self.name}: input {x.shape[2:]} is smaller than the {k}x{k} kernel")
        out, self._cache = convops.conv_forward(x, self.W, self.b, self.stride, self.padding)
        return out

    def backward(self, dout, *, guided: bool = False, param_grads: bool = True, need_dx: bool = True):
        dx, dW, db = convops.conv_backward(dout, self._need_cache(), need_dx=need_dx, need_dW=param_grads)
        if param_grads:
            self.dW, self.db = dW, (db if self.bias else None)
        return dx

    @classmethod
    def param_shapes(cls, config):
        c_in = positive_int(config["in_channels"], "in_channels")
        d = positive_int(config["out_channels"], "out_channels")
        k = positive_int(config.get("kernel_size", 3), "kernel_size")
        return {"W": (d, c_in, k, k), **({"b": (d,)} if config.get("bias", True) else {})}

    def config(self):
        cfg = {"in_channels": self.in_channels, "out_channels": self.out_channels,
               "kernel_size": self.kernel_size, "stride": self.stride, "padding": self.padding}
        return cfg if self.bias else {**cfg, "bias": False}


class ReLU(Layer):
    """max(x, 0), element-wise. ``backward(dout, guided=True)`` applies guided backprop's rule."""

    kind = "relu"

    def forward(self, x):
        out, self._cache = relu.relu_forward(x)
        return out

    def backward(self, dout, *, guided: bool = False, param_grads: bool = True, need_dx: bool = True):
        return relu.relu_backward(dout, self._need_cache(), guided=guided)


class MaxPool2D(Layer):
    """Max over size x size windows moved by ``stride`` (default: ``size``, no overlap)."""

    kind = "pool"

    def __init__(self, size: int = 2, stride: int | None = None) -> None:
        super().__init__()
        self.size = positive_int(size, "size")
        self.stride = self.size if stride is None else positive_int(stride, "stride")

    def forward(self, x):
        if x.ndim != 4 or x.shape[2] < self.size or x.shape[3] < self.size:
            raise ValueError(f"{self.name}: expected (N, C, H, W) with H, W >= {self.size}, got {x.shape}")
        out, self._cache = pool.maxpool_forward(x, self.size, self.stride)
        return out

    def backward(self, dout, *, guided: bool = False, param_grads: bool = True, need_dx: bool = True):
        return pool.maxpool_backward(dout, self._need_cache())

    def config(self):
        return {"size": self.size, "stride": self.stride}


class GlobalAvgPool2D(Layer):
    """GAP: (N, K, h, w) -> (N, K), F_k = (1/Z) sum_ij f_k(i, j) with Z = h w."""

    kind = "gap"

    def forward(self, x):
        if x.ndim != 4:
            raise ValueError(f"{self.name}: expected feature maps (N, K, h, w), got {x.shape}")
        out, self._cache = gap.gap_forward(x)
        return out

    def backward(self, dout, *, guided: bool = False, param_grads: bool = True, need_dx: bool = True):
        return gap.gap_backward(dout, self._need_cache())


class Flatten(Layer):
    """(N, C, H, W) -> (N, C*H*W)."""

    kind = "flatten"

    def forward(self, x):
        out, self._cache = flatten.flatten_forward(x)
        return out

    def backward(self, dout, *, guided: bool = False, param_grads: bool = True, need_dx: bool = True):
        return flatten.flatten_backward(dout, self._need_cache())


class Dense(Layer):
    """Fully connected: (N, in) -> (N, out), S = x W^T + b; W (out, in), so W[c, k] = w_k^c."""

    kind = "fc"
    param_names = ("W", "b")
    expects_channels = 0  # a flat (N, features) input

    def __init__(self, in_features: int, out_features: int, *,
                 rng: np.random.Generator | None = None, dtype=np.float32) -> None:
        super().__init__()
        self.in_features = positive_int(in_features, "in_features")
        self.out_features = positive_int(out_features, "out_features")
        rng = np.random.default_rng(0) if rng is None else rng
        std = np.sqrt(2.0 / in_features)
        self.W = (rng.standard_normal((out_features, in_features)) * std).astype(dtype)
        self.b = np.zeros(out_features, dtype=dtype)
        self.dW = self.db = None

    def forward(self, x):
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"{self.name}: expected input (N, {self.in_features}), got {x.shape}; "
                "is the input image the size this model was built for?"
            )
        out, self._cache = dense.dense_forward(x, self.W, self.b)
        return out

    def backward(self, dout, *, guided: bool = False, param_grads: bool = True, need_dx: bool = True):
        # explanations (param_grads=False) need only dx = dout W: dW would cost as much again
        dx, dW, db = dense.dense_backward(dout, self._need_cache(), self.W, need_dW=param_grads)
        if param_grads:
            self.dW, self.db = dW, db
        return dx

    def config(self):
        return {"in_features": self.in_features, "out_features": self.out_features}

    @classmethod
    def param_shapes(cls, config):
        n_in = positive_int(config["in_features"], "in_features")
        n_out = positive_int(config["out_features"], "out_features")
        return {"W": (n_out, n_in), "b": (n_out,)}
