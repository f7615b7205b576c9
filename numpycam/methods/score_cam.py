"""Score-CAM: each channel weighted by what it alone, as a mask, does to the score."""

from __future__ import annotations

import numpy as np

from numpycam.methods.base import BATCH, Explanation, feature_layer, in_batches, weighted_sum
from numpycam.methods.postprocess import normalize, upsample
from numpycam.nn.losses import softmax
from numpycam.nn.sequential import Sequential
from numpycam.validate import model_inputs


def masked_scores(model, x: np.ndarray, masks: np.ndarray, c: np.ndarray,
                  batch_size: int = BATCH) -> np.ndarray:
    """S^{c_n}(x_n * M_nk) (N, K) for masks M (N, K, H, W): N K forward passes, in batches."""
    n, k = masks.shape[:2]
    out = np.empty(n * k, dtype=np.result_type(x, masks))
    for start in range(0, n * k, batch_size):
        idx = np.arange(start, min(start + batch_size, n * k))
        img, ch = idx // k, idx % k
        inputs = x[img] * masks[img, ch][:, None]  # (B, C, H, W)
        out[idx] = model.forward(inputs)[np.arange(len(idx)), c[img]]
    return out.reshape(n, k)


def score_cam_explanation(model: Sequential, x: np.ndarray, c: np.ndarray,
                          layer: str | int | None = None, *, relu: bool = True,
                          batch_size: int = BATCH, align_corners: bool = False,
                          normalize_first: bool = False) -> Explanation:
    """Score-CAM on one batch of checked arrays; options as in :func:`score_cam`."""
    i = feature_layer(model, layer)  # f is the output of layer i
    S = model.forward(x)  # (N, M)
    f = model.activation(i)  # (N, K, h, w)
    n, k, h, w = f.shape
    fk = f.reshape(n * k, h, w)  # (N K, h, w)
    if normalize_first:
        masks = upsample(normalize(fk), x.shape[2:], align_corners=align_corners)
    else:
        masks = normalize(upsample(fk, x.shape[2:], align_corners=align_corners))
    masks = masks.reshape(n, k, *x.shape[2:])  # (N, K, H, W): M_k
    base = model.forward(np.zeros_like(x[:1]))[0, c]  # (N,): S^c(x_b)
    increase = masked_scores(model, x, masks, c, batch_size) - base[:, None]  # (N, K): C_k
    alpha = softmax(increase)  # (N, K): alpha_k = exp(C_k) / sum_j exp(C_j)
    L = weighted_sum(f, alpha)  # (N, h, w): sum_k alpha_k f_k
    if relu:
        L = np.maximum(L, 0)  # the final ReLU
    return Explanation(L, f, alpha, S, c, model.layers[i].name)


def score_cam(model, x, c, layer: str | int | None = None, *, relu: bool = True,
              batch_size: int = BATCH, align_corners: bool = False, normalize_first: bool = False,
              details: bool = False):
    """L = ReLU(sum_k alpha_k f_k), alpha = softmax_k(S^c(x * M_k) - S^c(x_b)). (N, h, w).

    Wang, Wang, Du, Yang, Zhang, Ding, Mardziel & Hu 2020, "Score-CAM: Score-Weighted Visual
    Explanations for Convolutional Neural Networks". No gradient: every map f_k is upsampled to
    the input size and min-max scaled to [0, 1],

        M_k = normalize(upsample(f_k, (H, W)))         (a constant f_k gives M_k = 0)

    the image is masked with it (all channels), and the channel's contribution is the increase
    of the class score over that of the baseline image x_b = 0 (with S^c, the raw logit, as the
    model's output):

        C_k = S^c(x * M_k) - S^c(x_b)
        alpha_k = exp(C_k) / sum_j exp(C_j)

    The baseline term is the same for every k, so it cancels in the softmax: the weights do not
    depend on x_b (it is kept for fidelity to the paper and costs one forward pass). All N K
    masked images go through ``model.forward``, ``batch_size`` at a time; the images too are
    taken ``batch_size`` at a time, so the masks (B, K, H, W) never hold more than B images.

    Final ReLU: applied (the paper's map); ``relu=False`` returns the sum before it.
    ``details=True``: an Explanation whose ``weights`` are alpha (N, K), rows summing to 1.

    How the masks are made, for comparing with other libraries (the paper fixes neither):
    ``align_corners=True`` upsamples with corner-aligned pixel centres (pytorch-grad-cam's
    ``nn.UpsamplingBilinear2d``) instead of half-pixel centres; ``normalize_first=True`` scales
    f_k to [0, 1] before upsampling it (torch-cam), M_k = upsample(normalize(f_k)). Either
    changes M_k only where upsampling creates new values: at H, W = h, w both are no-ops.
    """
    x, c = model_inputs(model, x, c)
    return in_batches(score_cam_explanation, model, x, c, batch_size, details=details, layer=layer,
                      relu=relu, batch_size=batch_size, align_corners=align_corners,
                      normalize_first=normalize_first)
