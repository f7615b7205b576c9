"""Faithfulness: does changing the pixels a map points at change the model's confidence?

Every function takes the model, images x (N, C, H, W), maps (N, h, w) from any method (upsampled
to (H, W) here when h, w differ) and the classes c; p_c = softmax(S)[c] is the probability of
class c. Forward passes run ``batch_size`` images at a time.

Deletion and insertion (Petsiuk, Das & Saenko 2018, "RISE: Randomized Input Sampling for
Explanation of Black-box Models"). Rank the H W pixels by the map, largest first
(ties keep raster order); at step t = 0..T the first k_t = floor(t H W / T) pixels, all
channels, are switched from a start image to an end image:

    deletion    from x to the baseline (default 0): p_c should fall fast; smaller area is better
    insertion   from the baseline (default x blurred) to x: p_c should rise fast; larger is better

    area = (1/T) sum_t (p_t + p_{t+1}) / 2        (trapezoid rule over t/T in [0, 1])

Average drop and increase in confidence (Chattopadhay et al. 2018, "Grad-CAM++").
The explanation map keeps the image where the map is high: E = x * L, with L the map upsampled
and min-max scaled to [0, 1] (a constant map gives L = 0). With Y = p_c(x) and O = p_c(E):

    average drop %              = 100 * mean_n max(0, Y_n - O_n) / Y_n      (lower is better;
                                                                            0 where Y_n = 0)
    increase in confidence %    = 100 * mean_n [Y_n < O_n]                  (higher is better)
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np
from scipy.ndimage import gaussian_filter

from numpycam.methods.postprocess import normalize, upsample
from numpycam.nn.losses import softmax
from numpycam.validate import as_float_array, as_maps, model_inputs, positive_int


class DropIncrease(NamedTuple):
    """Average drop % and increase in confidence %, over the batch."""

    average_drop: float
    increase: float


def probabilities(model, x: np.ndarray, c: np.ndarray, batch_size: int = 128) -> np.ndarray:
    """p_{c_n}(x_n) (N,), ``batch_size`` images per forward pass."""
    out = np.empty(len(x))
    for s in range(0, len(x), batch_size):
        p = softmax(model.forward(x[s : s + batch_size]))  # (B, M)
        out[s : s + len(p)] = p[np.arange(len(p)), c[s : s + len(p)]]
    return out


def _maps_at_input_size(maps, x: np.ndarray) -> np.ndarray:
    m, _ = as_maps(maps)  # (N, h, w)
    if len(m) != len(x):
        raise ValueError(f"got {len(m)} maps for {len(x)} images; give one map per image")
    return m if m.shape[1:] == x.shape[2:] else upsample(m, x.shape[2:])  # (N, H, W)


def baseline_image(x: np.ndarray, baseline="zeros", sigma: float = 5.0) -> np.ndarray:
    """"zeros": 0 everywhere; "blur": each channel Gaussian-blurred (``sigma`` pixels, as RISE's
    insertion, edges reflected); or an array broadcastable to x (e.g. a mean colour)."""
    if isinstance(baseline, str):
        if baseline == "zeros":
            return np.zeros_like(x)
        if baseline == "blur":
            if (isinstance(sigma, bool) or not isinstance(sigma, numbers.Real)
                    or not 0 <= sigma < np.inf):
                raise ValueError(f"sigma must be a finite number of pixels >= 0, got {sigma!r}")
            return gaussian_filter(x, sigma=(0, 0, sigma, sigma))
        raise ValueError(f'baseline must be "zeros", "blur" or an array, got {baseline!r}')
    base = np.asarray(baseline)
    if base.dtype.kind in "biu":  # a colour in whole numbers is still a colour: use x's dtype
        base = base.astype(x.dtype)
    base = as_float_array(base, "baseline")
    try:
        return np.broadcast_to(base.astype(x.dtype, copy=False), x.shape)
    except ValueError:
        raise ValueError(f"baseline of shape {base.shape} does not broadcast to the images "
                         f"{x.shape}; give e.g. a scalar or a colour of shape (C, 1, 1)") from None


def _curve(model, x, maps, c, start, end, steps, batch_size) -> np.ndarray:
    """p_c after switching the top k_t pixels from ``start`` to ``end``, t = 0..steps. (N, T+1)."""
    n, _, H, W = x.shape
    P = H * W
    order = np.argsort(-maps.reshape(n, P), axis=1, kind="stable")  # (N, P) most important first
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(P)[None], axis=1)  # rank[n, p]: place of pixel p
    k = np.arange(steps + 1) * P // steps  # (T+1,) pixels switched at step t
    out = np.empty(n * (steps + 1))
    for s in range(0, n * (steps + 1), batch_size):
        q = np.arange(s, min(s + batch_size, n * (steps + 1)))
        img, t = q // (steps + 1), q % (steps + 1)
        switched = (rank[img] < k[t][:, None]).reshape(len(q), 1, H, W)  # (B, 1, H, W)
        inputs = np.where(switched, end[img], start[img])  # (B, C, H, W)
        out[q] = softmax(model.forward(inputs))[np.arange(len(q)), c[img]]
    return out.reshape(n, steps + 1)


def _checked(model, x, maps, c, steps, batch_size):
    x, c = model_inputs(model, x, c)
    return (x, _maps_at_input_size(maps, x), c, positive_int(steps, "steps"),
            positive_int(batch_size, "batch_size"))


def deletion_curve(model, x, maps, c, steps: int = 32, *, baseline="zeros", sigma: float = 5.0,
                   batch_size: int = 128) -> np.ndarray:
    """p_c as the most important pixels are replaced by the baseline (default 0). (N, steps+1)."""
    x, maps, c, steps, batch_size = _checked(model, x, maps, c, steps, batch_size)
    return _curve(model, x, maps, c, x, baseline_image(x, baseline, sigma), steps, batch_size)


def insertion_curve(model, x, maps, c, steps: int = 32, *, baseline="blur", sigma: float = 5.0,
                    batch_size: int = 128) -> np.ndarray:
    """p_c as the most important pixels of x are put into the baseline (default x blurred with
    ``sigma``). (N, steps+1)."""
    x, maps, c, steps, batch_size = _checked(model, x, maps, c, steps, batch_size)
    return _curve(model, x, maps, c, baseline_image(x, baseline, sigma), x, steps, batch_size)


def area_under_curve(curve: np.ndarray) -> np.ndarray:
    """Trapezoid rule on t/T in [0, 1]: (1/T) sum_t (p_t + p_{t+1}) / 2. (N, T+1) -> (N,)."""
    curve = np.asarray(curve)
    return (curve[..., 1:] + curve[..., :-1]).sum(axis=-1) / (2 * (curve.shape[-1] - 1))


def deletion_auc(model, x, maps, c, steps: int = 32, **kwargs) -> np.ndarray:
    """Area under :func:`deletion_curve`, per image (N,): lower means a more faithful map."""
    return area_under_curve(deletion_curve(model, x, maps, c, steps, **kwargs))


def insertion_auc(model, x, maps, c, steps: int = 32, **kwargs) -> np.ndarray:
    """Area under :func:`insertion_curve`, per image (N,): higher means a more faithful map."""
    return area_under_curve(insertion_curve(model, x, maps, c, steps, **kwargs))


def average_drop_increase(model, x, maps, c, *, batch_size: int = 128) -> DropIncrease:
    """Average drop % and increase in confidence % of the explanation maps x * L (see above)."""
    x, maps, c, _, batch_size = _checked(model, x, maps, c, 1, batch_size)
    L = normalize(maps).astype(x.dtype, copy=False)  # (N, H, W) in [0, 1]
    Y = probabilities(model, x, c, batch_size)  # (N,)
    O = probabilities(model, x * L[:, None], c, batch_size)  # (N,)
    drop = np.divide(np.maximum(Y - O, 0), Y, out=np.zeros_like(Y), where=Y > 0)  # 0 if Y = 0
    return DropIncrease(100 * float(drop.mean()), 100 * float((Y < O).mean()))
