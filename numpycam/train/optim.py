"""Optimisers that update a model's trainable parameters in place.

SGD with momentum:  v <- mu v - lr (g + lambda theta);  theta <- theta + v
Adam (Kingma & Ba 2015): m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;
                         theta <- theta - lr m_hat / (sqrt(v_hat) + eps), with bias correction.
``weight_decay`` (lambda) adds lambda theta to every gradient (L2 regularisation).
A step is all or nothing: if any new value would be NaN or infinite (a diverging learning rate),
``step`` raises FloatingPointError and leaves every parameter and every moment as it was.
"""

from __future__ import annotations

import math

import numpy as np

from numpycam.nn.sequential import Sequential


class _Optimizer:
    def __init__(self, model: Sequential, lr: float, weight_decay: float) -> None:
        for name, value in (("lr", lr), ("weight_decay", weight_decay)):
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
                raise TypeError(f"{name} must be a number, got {value!r}; e.g. {name}=0.001")
        if not (lr > 0 and math.isfinite(lr)):
            raise ValueError(f"learning rate lr must be a finite number > 0, got {lr}")
        if not (weight_decay >= 0 and math.isfinite(weight_decay)):
            raise ValueError(f"weight_decay must be a finite number >= 0, got {weight_decay}")
        self.model, self.lr, self.weight_decay = model, float(lr), float(weight_decay)
        self.state: dict[str, dict[str, np.ndarray]] = {}

    def _grads(self):
        """(key, parameter, gradient) for every trainable parameter that has a gradient."""
        for key, layer, p in self.model.named_parameters():
            theta, g = getattr(layer, p), getattr(layer, "d" + p)
            if g is None:
                raise RuntimeError(f"{key} has no gradient: call model.backward first")
            if self.weight_decay:
                g = g + self.weight_decay * theta
            yield key, theta, g.astype(theta.dtype, copy=False)

    def _commit(self, new: dict) -> None:
        """Write {key: (theta, new theta, new state)} in place, only if every value is finite."""
        for key, (_, theta, state) in new.items():
            if not all(np.all(np.isfinite(a)) for a in (theta, *state.values())):
                raise FloatingPointError(
                    f"training diverged: the update of {key} is NaN or infinite; the weights are "
                    f"left as they were before this step. Lower the learning rate (lr={self.lr}).")
        for key, (theta, value, state) in new.items():
            theta[...] = value
            self.state[key] = state

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr}, weight_decay={self.weight_decay})"


class SGD(_Optimizer):
    """Stochastic gradient descent with (heavy-ball) momentum."""

    def __init__(self, model: Sequential, lr: float = 0.01, momentum: float = 0.9,
                 weight_decay: float = 0.0) -> None:
        super().__init__(model, lr, weight_decay)
        self.momentum = float(momentum)

    def step(self) -> None:
        new = {}
        for key, theta, g in self._grads():
            v = self.state.get(key, {"v": np.zeros_like(theta)})["v"]
            v = self.momentum * v - self.lr * g
            new[key] = (theta, theta + v, {"v": v})
        self._commit(new)


class Adam(_Optimizer):
    """Adam with bias-corrected first and second moments."""

    def __init__(self, model: Sequential, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(model, lr, weight_decay)
        self.b1, self.b2 = float(betas[0]), float(betas[1])  # Python floats keep float32 float32
        self.eps = float(eps)
        self.t = 0

    def step(self) -> None:
        t = self.t + 1
        c1, c2 = 1 - self.b1**t, 1 - self.b2**t
        new = {}
        for key, theta, g in self._grads():
            s = self.state.get(key, {"m": np.zeros_like(theta), "v": np.zeros_like(theta)})
            m = self.b1 * s["m"] + (1 - self.b1) * g
            v = self.b2 * s["v"] + (1 - self.b2) * g * g
            new[key] = (theta, theta - (self.lr / c1) * m / (np.sqrt(v / c2) + self.eps),
                        {"m": m, "v": v})
        self._commit(new)
        self.t = t
