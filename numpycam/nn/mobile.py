"""The layers a modern mobile CNN (MobileNet, EfficientNet-Lite) adds to the basic set:
BatchNorm2D, DepthwiseConv2D, ZeroPad2D and ReLU6. The maths lives in ``numpycam.ops``
(``norm``, ``depthwise`` / ``depthwise_fast``, ``pad``, ``relu6``); these classes keep
parameters and caches.
"""

from __future__ import annotations

import numpy as np

from numpycam.nn.layer import Layer
from numpycam.ops import depthwise_fast as dwops
from numpycam.ops import norm, pad, relu6
from numpycam.ops.pad import same_padding
from numpycam.validate import positive_int

__all__ = ["BatchNorm2D", "DepthwiseConv2D", "ReLU6", "ZeroPad2D", "same_padding"]


def _positive_float(v, name: str, upper: float | None = None) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name} must be a number, got {v!r}")
    if not (v > 0 and np.isfinite(v)) or (upper is not None and v > upper):
        raise ValueError(f"{name} must be in (0, {upper if upper is not None else 'inf'}), got {v}")
    return float(v)


def _padding4(padding) -> tuple[int, int, int, int]:
    """An int p (p on every side) or (top, bottom, left, right) as a checked 4-tuple."""
    if isinstance(padding, (list, tuple)):
        if len(padding) != 4:
            raise ValueError(f"padding must be an int or (top, bottom, left, right), got {padding!r}")
        return tuple(positive_int(p, "padding", minimum=0) for p in padding)
    p = positive_int(padding, "padding", minimum=0)
    return (p, p, p, p)


class _PerChannel(Layer):
    """A layer that works channel by channel on (N, C, H, W) maps with C = ``channels``."""

    @property
    def expects_channels(self) -> int:
        return self.channels

    def check_maps(self, x) -> None:
        if x.ndim != 4 or x.shape[1] != self.channels:
            raise ValueError(f"{self.name}: expected input (N, {self.channels}, H, W), got {x.shape}")


class BatchNorm2D(_PerChannel):
    """Per-channel normalisation of (N, C, H, W) maps; gamma, beta (C,) trained.

    Training mode: normalise with the batch's mean and (biased) variance, and update the
    running averages m <- (1 - momentum) m + momentum mu, v <- (1 - momentum) v + momentum
    var_unbiased (PyTorch's rule; unbiased: times M / (M - 1), M = N H W). Evaluation mode: the
    fixed affine map gamma (x - m) / sqrt(v + eps) + beta. Equations: :mod:`numpycam.ops.norm`.
    """

    kind = "bn"
    param_names = ("gamma", "beta")
    buffer_names = ("running_mean", "running_var")

    def __init__(self, channels: int, eps: float = 1e-5, momentum: float = 0.1, *, dtype=np.float32):
        super().__init__()
        self.channels = positive_int(channels, "channels")
        self.eps = _positive_float(eps, "eps")
        self.momentum = _positive_float(momentum, "momentum", upper=1.0)
        self.gamma = np.ones(channels, dtype=dtype)
        self.beta = np.zeros(channels, dtype=dtype)
        self.running_mean = np.zeros(channels, dtype=dtype)
        self.running_var = np.ones(channels, dtype=dtype)
        self.dgamma = self.dbeta = None

    def forward(self, x):
        self.check_maps(x)
        if not self.training:
            out, cache = norm.batchnorm_eval_forward(x, self.gamma, self.beta, self.running_mean,
                                                     self.running_var, self.eps)
            self._cache = ("eval", cache)
            return out
        M = x.shape[0] * x.shape[2] * x.shape[3]
        if M < 2:
            raise ValueError(f"{self.name}: training-mode BatchNorm needs more than one number per "
                             f"channel, got input {x.shape}; use model.eval() for a single 1x1 map")
        out, cache, mu, var = norm.batchnorm_train_forward(x, self.gamma, self.beta, self.eps)
        m = self.momentum
        dt = self.running_mean.dtype
        self.running_mean = ((1 - m) * self.running_mean + m * mu).astype(dt)
        self.running_var = ((1 - m) * self.running_var + m * var * (M / (M - 1))).astype(dt)
        self._cache = ("train", cache)
        return out

    def backward(self, dout, *, guided: bool = False, param_grads: bool = True, need_dx: bool = True):
        mode, cache = self._need_cache()
        if mode == "train":
            dx, dgamma, dbeta = norm.batchnorm_train_backward(dout, cache)
        else:
            dx, dgamma, dbeta = norm.batchnorm_eval_backward(dout, cache, param_grads)
        if param_grads:
            self.dgamma, self.dbeta = dgamma, dbeta
        return dx

    def config(self):
        return {"channels": self.channels, "eps": self.eps, "momentum": self.momentum}

    @classmethod
    def param_shapes(cls, config):
        c = (positive_int(config["channels"], "channels"),)
        return {"gamma": c, "beta": c, "running_mean": c, "running_var": c}


class DepthwiseConv2D(_PerChannel):
    """One k x k filter per channel: (N, C, H, W) -> (N, C, H', W'); W (C, k, k), b (C,).

    ``padding``: an int (the same on every side) or (top, bottom, left, right), e.g. from
    :func:`same_padding` for TensorFlow's "same" padding. Equations: :mod:`numpycam.ops.depthwise`;
    the memory layout of the fast path: :mod:`numpycam.ops.depthwise_fast`. Weights start
    He-normal, std = sqrt(2 / k^2).
    """

    kind = "dwconv"

    def __init__(self, channels: int, kernel_size: int, stride: int = 1, padding=0, bias: bool = True,
                 *, rng: np.random.Generator | None = None, dtype=np.float32) -> None:
        super().__init__()
        self.channels = positive_int(channels, "channels")
        self.kernel_size = positive_int(kernel_size, "kernel_size")
        self.stride = positive_int(stride, "stride")
        self.padding = _padding4(padding)
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"bias must be True or False, got {bias!r}")
        self.bias = bool(bias)
        self.param_names = ("W", "b") if self.bias else ("W",)
        rng = np.random.default_rng(0) if rng is None else rng
        k = self.kernel_size
        self.W = (rng.standard_normal((channels, k, k)) * np.sqrt(2.0 / (k * k))).astype(dtype)
        self.b = np.zeros(channels, dtype=dtype) if self.bias else None
        self.dW = self.db = None

    def forward(self, x):
        self.check_maps(x)
        top, bottom, left, right = self.padding
        k = self.kernel_size
        if x.shape[2] + top + bottom < k or x.shape[3] + left + right < k:
            raise ValueError(f"{self.name}: input {x.shape[2:]} is smaller than the {k}x{k} kernel")
        out, self._cache = dwops.depthwise_forward(x, self.W, self.b, self.stride, self.padding)
        return out

    def backward(self, dout, *, guided: bool = False, param_grads: bool = True, need_dx: bool = True):
        dx, dW, db = dwops.depthwise_backward(dout, self._need_cache(), need_dx, param_grads)
        if param_grads:
            self.dW, self.db = dW, (db if self.bias else None)
        return dx

    @classmethod
    def param_shapes(cls, config):
        c, k = positive_int(config["channels"], "channels"), positive_int(config["kernel_size"], "kernel_size")
        return {"W": (c, k, k), **({"b": (c,)} if config.get("bias", True) else {})}

    def config(self):
        cfg = {"channels": self.channels, "kernel_size": self.kernel_size, "stride": self.stride,
               "padding": list(self.padding)}
        return cfg if self.bias else {**cfg, "bias": False}


class ZeroPad2D(Layer):
    """Zeros around the image: (N, C, H, W) -> (N, C, top + H + bottom, left + W + right)."""

    kind = "pad"

    def __init__(self, top: int, bottom: int, left: int, right: int) -> None:
        super().__init__()
        self.padding = _padding4((top, bottom, left, right))

    def forward(self, x):
        if x.ndim != 4:
            raise ValueError(f"{self.name}: expected images (N, C, H, W), got {x.shape}")
        out, self._cache = pad.pad_forward(x, self.padding)
        return out

    def backward(self, dout, *, guided: bool = False, param_grads: bool = True, need_dx: bool = True):
        return pad.pad_backward(dout, self._need_cache())

    def config(self):
        return dict(zip(("top", "bottom", "left", "right"), self.padding, strict=True))


class ReLU6(Layer):
    """min(max(x, 0), 6), element-wise; ``backward(dout, guided=True)`` applies the guided rule."""

    kind = "relu6"

    def forward(self, x):
        out, self._cache = relu6.relu6_forward(x)
        return out

    def backward(self, dout, *, guided: bool = False, param_grads: bool = True, need_dx: bool = True):
        return relu6.relu6_backward(dout, self._need_cache(), guided=guided)
