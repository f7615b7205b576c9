"""Numerical gradients by central differences, to check every hand-written backward pass.

For a function y = f(x) and an upstream gradient dout (same shape as y), the gradient of the
scalar sum(f(x) * dout) with respect to x_i is approximated by

    (sum(f(x + h e_i) * dout) - sum(f(x - h e_i) * dout)) / (2 h)

Projecting on a random dout (never all ones) checks every output's contribution, not only
their sum. Compare with ``rel_error``: ||a - b|| / (||a|| + ||b||), a norm-wise relative error
that an entry whose true gradient is exactly zero cannot blow up. Near a kink (ReLU at 0) the
difference quotient is meaningless: draw inputs with ``away_from_zero``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def numerical_gradient(f: Callable[[], np.ndarray], x: np.ndarray, dout: np.ndarray,
                       h: float = 1e-6) -> np.ndarray:
    """d sum(f() * dout) / dx, perturbing ``x`` in place (f reads x each call); x is restored."""
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        plus = np.sum(f() * dout)
        x[i] = old - h
        minus = np.sum(f() * dout)
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """Norm-wise relative error ||a - b|| / (||a|| + ||b||); 0 when both are all zeros."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / scale) if scale > 0 else 0.0


def away_from_zero(rng: np.random.Generator, shape, margin: float = 1e-3) -> np.ndarray:
    """Normal samples at least ``margin`` from 0, so no ReLU kink lies within h of an input."""
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < margin, margin * np.sign(x) + margin * (x == 0), x)
