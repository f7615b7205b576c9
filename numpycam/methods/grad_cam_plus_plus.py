"""Grad-CAM++: positive gradients, each position weighted by alpha."""

from __future__ import annotations

import numpy as np

from numpycam.methods.base import BATCH, CLASSES_DOC, gradient_method


def grad_cam_plus_plus_weights(f: np.ndarray, g: np.ndarray, eps: float = 0.0) -> np.ndarray:
    """w_k = sum_ij alpha_k(i, j) ReLU(g_k(i, j)), alpha = g^2 / (2 g^2 + sum_ab f_k(a, b) g^3 + eps).

    alpha is 0 where g = 0 (the paper's rule) and where the denominator is 0, i.e. where
    sum_ab f_k(a, b) g = -2, the pole of the formula. ``eps`` = 0 is the paper's Eq. 19;
    pytorch-grad-cam adds eps = 1e-6 to the denominator. (N, K).
    """
    g2 = g * g
    denom = 2 * g2 + f.sum(axis=(2, 3), keepdims=True) * g2 * g + eps  # (N, K, h, w)
    ok = (g != 0) & (denom != 0)
    alpha = np.where(ok, g2 / np.where(ok, denom, 1), 0)  # (N, K, h, w)
    return (alpha * np.maximum(g, 0)).sum(axis=(2, 3))  # (N, K)


def grad_cam_plus_plus(model, x, c=None, layer: str | int | None = None, *, relu: bool = True,
                       eps: float = 0.0, details: bool = False, batch_size: int = BATCH,
                       target=None):
    """L = ReLU(sum_k w_k f_k), w_k = sum_ij alpha_k(i, j) ReLU(g_k(i, j)). (N, h, w).

    Chattopadhay, Sarkar, Howlader & Balasubramanian 2018, "Grad-CAM++: Generalized
    Gradient-Based Visual Explanations for Deep Convolutional Networks". With g = dS^c/df and
    the paper's exponential on the score, Y^c = exp(S^c), the higher derivatives of Y are powers
    of g times exp(S^c), which cancels in alpha (their Eq. 19):

        alpha_k^c(i, j) = g_k(i, j)^2 / (2 g_k(i, j)^2 + sum_ab f_k(a, b) g_k(i, j)^3)
        w_k^c = sum_ij alpha_k^c(i, j) ReLU(dY^c/df_k(i, j))

    and dY^c/df = exp(S^c) g. The factor exp(S^c) > 0 is one number per image: it scales the
    map without changing its shape, so it is dropped and w_k^c = sum_ij alpha ReLU(g).

    On a GAP network g = w_k^c / Z at every position and sum_ab f_k(a, b) = Z F_k, so

        alpha = (w^2/Z^2) / (2 w^2/Z^2 + Z F_k w^3/Z^3) = 1 / (2 + w_k^c F_k)
        weight = Z * alpha * ReLU(w_k^c / Z) = ReLU(w_k^c) / (2 + w_k^c F_k)

    where 2 + w_k^c F_k != 0 (always > 0 when w_k^c > 0 and f >= 0, e.g. after a ReLU).

    Final ReLU: applied (the paper's map); ``relu=False`` returns the sum before it.

    ``eps`` (default 0, the paper) is added to alpha's denominator, as pytorch-grad-cam does
    with eps = 1e-6. It is not negligible: on a GAP network alpha's denominator is
    (w_k^c)^2 (2 + w_k^c F_k) / Z^2, so the weight becomes

        ReLU(w_k^c) (w_k^c)^2 / ((w_k^c)^2 (2 + w_k^c F_k) + eps Z^2)

    and channels with |w_k^c| / Z near sqrt(eps) = 1e-3 lose a large part of their weight.

    ``details=True`` returns an Explanation; computed ``batch_size`` images at a time.
    """
    eps = float(eps)
    if not (np.isfinite(eps) and eps >= 0):
        raise ValueError(f"eps must be a finite number >= 0 (0 is the paper's Eq. 19), got {eps}")
    rule = grad_cam_plus_plus_weights if eps == 0 else (
        lambda f, g: grad_cam_plus_plus_weights(f, g, eps))
    return gradient_method(model, x, c, layer, rule, relu=relu, details=details,
                           batch_size=batch_size, target=target)


grad_cam_plus_plus.__doc__ = (grad_cam_plus_plus.__doc__ or "") + CLASSES_DOC
