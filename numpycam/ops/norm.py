"""Batch normalisation over the channels of NCHW maps (Ioffe and Szegedy 2015, "Batch
Normalization: Accelerating Deep Network Training by Reducing Internal Covariate Shift").

Per channel c, over the M = N*H*W numbers of that channel in the batch:

    training:    mu_c = (1/M) sum x          var_c = (1/M) sum (x - mu_c)^2        (biased)
                 xhat = (x - mu_c) / sqrt(var_c + eps)        out = gamma_c xhat + beta_c
    evaluation:  out = gamma_c (x - m_c) / sqrt(v_c + eps) + beta_c = scale_c x + shift_c
                 with the running averages m, v in place of the batch statistics.

Training backward (mu and var depend on every x of the channel, so each x gets three terms):

    dxhat = dout gamma
    dx    = (1/M) / sqrt(var + eps) * (M dxhat - sum dxhat - xhat sum(dxhat xhat))
    dgamma = sum dout xhat          dbeta = sum dout

Evaluation backward is that of a per-channel affine map: dx = scale dout.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class TrainCache(NamedTuple):
    xhat: np.ndarray  # (N, C, H, W) normalised input
    inv_std: np.ndarray  # (C,) 1 / sqrt(var + eps)
    gamma: np.ndarray  # (C,)


class EvalCache(NamedTuple):
    x: np.ndarray  # (N, C, H, W) the input (only dgamma needs it)
    mean: np.ndarray  # (C,) running mean m
    inv_std: np.ndarray  # (C,) 1 / sqrt(v + eps)
    scale: np.ndarray  # (C,) gamma / sqrt(v + eps)


def _c(v: np.ndarray) -> np.ndarray:
    """(C,) -> (1, C, 1, 1), to broadcast over NCHW."""
    return v.reshape(1, -1, 1, 1)


def batchnorm_train_forward(x, gamma, beta, eps: float):
    """(out, cache, mu, var): out (N, C, H, W) normalised with the batch's own statistics.

    mu and var (C,) are returned so the layer can update its running averages.
    """
    dt = np.result_type(x.dtype, gamma.dtype)
    mu = x.mean(axis=(0, 2, 3), dtype=dt)  # (C,)
    xc = x - _c(mu)
    var = np.mean(xc * xc, axis=(0, 2, 3), dtype=dt)  # (C,)
    inv_std = (1.0 / np.sqrt(var + eps)).astype(dt)
    xhat = xc * _c(inv_std)
    out = xhat * _c(gamma.astype(dt, copy=False)) + _c(beta.astype(dt, copy=False))
    return out, TrainCache(xhat, inv_std, gamma), mu, var


def batchnorm_train_backward(dout, cache: TrainCache):
    """(dx, dgamma, dbeta) through the batch mean and variance."""
    xhat, inv_std, gamma = cache
    M = dout.shape[0] * dout.shape[2] * dout.shape[3]
    dbeta = dout.sum(axis=(0, 2, 3))  # (C,)
    dgamma = np.einsum("nchw,nchw->c", dout, xhat)  # (C,)
    # sum dxhat = gamma dbeta and sum dxhat xhat = gamma dgamma, so no dxhat array is needed
    # for the sums; dx = gamma inv_std (dout - dbeta/M - xhat dgamma/M).
    dx = dout - _c(dbeta / M) - xhat * _c(dgamma / M)
    dx *= _c(gamma * inv_std)
    return dx, dgamma, dbeta


def batchnorm_eval_forward(x, gamma, beta, mean, var, eps: float):
    """out = scale x + shift, scale = gamma / sqrt(v + eps), shift = beta - m scale. Same shape."""
    dt = np.result_type(x.dtype, gamma.dtype)
    inv_std = (1.0 / np.sqrt(var.astype(dt) + eps)).astype(dt)
    scale = (gamma * inv_std).astype(dt)
    shift = (beta - mean * scale).astype(dt)
    out = np.multiply(x, _c(scale), dtype=dt)
    out += _c(shift)
    return out, EvalCache(x, mean.astype(dt), inv_std, scale)


def batchnorm_eval_backward(dout, cache: EvalCache, param_grads: bool = True):
    """(dx, dgamma, dbeta): dx = scale dout; dgamma = sum dout (x - m)/sqrt(v + eps).

    With ``param_grads=False`` the two parameter sums (a pass over x each) are skipped: None.
    """
    x, mean, inv_std, scale = cache
    dx = np.multiply(dout, _c(scale), dtype=np.result_type(dout.dtype, scale.dtype))
    if not param_grads:
        return dx, None, None
    dbeta = dout.sum(axis=(0, 2, 3))
    # sum dout (x - m) inv_std = inv_std (sum dout x - m sum dout)
    dgamma = inv_std * (np.einsum("nchw,nchw->c", dout, x) - mean * dbeta)
    return dx, dgamma, dbeta
