"""Score-CAM: each channel weighted by what it alone, as a mask, does to the score."""

from __future__ import annotations

import numpy as np

from numpycam.methods.base import BATCH, CLASSES_DOC, Explanation, feature_layer, in_batches, one_hot, weighted_sum
from numpycam.methods.postprocess import normalize, upsample
from numpycam.methods.targets import fold, model_targets, repeat_each, seeds
from numpycam.nn.losses import softmax
from numpycam.nn.sequential import Sequential


def masked_scores(model, x: np.ndarray, masks: np.ndarray, c: np.ndarray,
                  batch_size: int = BATCH) -> np.ndarray:
    """S^{c_n}(x_n * M_nk) (N, K) for masks M (N, K, H, W): N K forward passes, in batches."""
    dS = one_hot(c, model.num_classes)[:, None]  # (N, 1, M)
    return masked_targets(model, x, masks, dS, batch_size)[:, 0]


def masked_targets(model, x: np.ndarray, masks: np.ndarray, dS: np.ndarray,
                   batch_size: int = BATCH) -> np.ndarray:
    """y_nt(x_n * M_nk) = sum_m dS_ntm S^m(x_n * M_nk), (N, T, K), for masks M (N, K, H, W) and
    linear scores dS (N, T, M) (one-hot: the class score): N K forward passes, in batches."""
    n, k = masks.shape[:2]
    out = np.empty((n * k, dS.shape[1]), dtype=np.result_type(x, masks))
    for start in range(0, n * k, batch_size):
        idx = np.arange(start, min(start + batch_size, n * k))
        img, ch = idx // k, idx % k
        inputs = x[img] * masks[img, ch][:, None]  # (B, C, H, W)
        out[idx] = np.einsum("bm,btm->bt", model.forward(inputs), dS[img])  # (B, T)
    return out.reshape(n, k, -1).transpose(0, 2, 1)  # (N, T, K)


def score_cam_explanation(model: Sequential, x: np.ndarray, c: np.ndarray | None,
                          layer: str | int | None = None, *, relu: bool = True,
                          batch_size: int = BATCH, align_corners: bool = False,
                          normalize_first: bool = False) -> Explanation:
    """Score-CAM on one batch of checked arrays; options as in :func:`score_cam`."""
    if callable(c):
        raise TypeError("Score-CAM weighs each channel by the score's value on masked images, "
                        "which a target function's derivative does not give; pass target= as "
                        "linear weights W (N, M), or use a gradient method")
    i = feature_layer(model, layer)  # f is the output of layer i
    S = model.forward(x)  # (N, M)
    f = model.activation(i)  # (N, K, h, w)
    c, dS = seeds(S, c)  # dS (N, T, M): 1 at class c (T classes per image, usually 1)
    n, k, h, w = f.shape
    fk = f.reshape(n * k, h, w)  # (N K, h, w)
    if normalize_first:
        masks = upsample(normalize(fk), x.shape[2:], align_corners=align_corners)
    else:
        masks = normalize(upsample(fk, x.shape[2:], align_corners=align_corners))
    masks = masks.reshape(n, k, *x.shape[2:])  # (N, K, H, W): M_k
    base = dS @ model.forward(np.zeros_like(x[:1]))[0]  # (N, T): S^c(x_b)
    increase = masked_targets(model, x, masks, dS, batch_size) - base[..., None]  # (N, T, K): C_k
    alpha = softmax(increase.reshape(-1, k))  # (N T, K): alpha_k = exp(C_k) / sum_j exp(C_j)
    L = weighted_sum(repeat_each(f, dS), alpha)  # (N T, h, w): sum_k alpha_k f_k
    if relu:
        L = np.maximum(L, 0)  # the final ReLU
    return Explanation(fold(L, c), f, fold(alpha, c), S, c, model.layers[i].name)


def score_cam(model, x, c=None, layer: str | int | None = None, *, relu: bool = True,
              batch_size: int = BATCH, align_corners: bool = False, normalize_first: bool = False,
              details: bool = False, target=None):
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
    x, c = model_targets(model, x, c, target)
    return in_batches(score_cam_explanation, model, x, c, batch_size, details=details, layer=layer,
                      relu=relu, batch_size=batch_size, align_corners=align_corners,
                      normalize_first=normalize_first)


score_cam.__doc__ = ((score_cam.__doc__ or "") + CLASSES_DOC
                     + "    target= must be linear weights here: Score-CAM needs its values.\n")
