"""Eigen-CAM: the activations projected on their first principal direction; no class."""

from __future__ import annotations

import numpy as np

from numpycam.methods.base import BATCH, Explanation, feature_layer, in_batches, weighted_sum
from numpycam.methods.targets import model_targets
from numpycam.nn.sequential import Sequential


def eigen_cam_weights(f: np.ndarray, g: np.ndarray | None = None, center: bool = False) -> np.ndarray:
    """v (N, K): per image, the first right singular vector of A = f as a (Z x K) matrix.

    ``g`` is ignored (Eigen-CAM uses no gradient); it is accepted so that every weight rule
    of numpycam.methods.registry is called the same way, ``rule(f, g)``.

    Unit length, sign chosen so that v . F >= 0 with F_k = mean_ij f_k(i, j), i.e. the map
    A v sums to >= 0 (v is defined by SVD only up to sign). ``center=True``: the SVD of A minus
    its column means (each channel's mean over positions), as pytorch-grad-cam does; the sign
    rule still uses the uncentred F (the centred mean is 0).
    """
    n, k, h, w = f.shape
    A = f.reshape(n, k, h * w).transpose(0, 2, 1)  # (N, Z, K): one row per position
    if center:
        A = A - A.mean(axis=1, keepdims=True)
    v = np.linalg.svd(A, full_matrices=False)[2][:, 0, :]  # (N, K)
    sign = np.where(np.einsum("nk,nk->n", v, f.mean(axis=(2, 3))) < 0, -1, 1).astype(v.dtype)
    return v * sign[:, None]


def eigen_cam_explanation(model: Sequential, x: np.ndarray, c: np.ndarray | None,
                          layer: str | int | None = None, *, relu: bool = False,
                          center: bool = False) -> Explanation:
    """Eigen-CAM on one batch of checked arrays; c None records the predicted class."""
    i = feature_layer(model, layer)  # f is the output of layer i
    S = model.forward(x)  # (N, M)
    c = S.argmax(axis=1) if c is None else c
    f = model.activation(i)  # (N, K, h, w)
    v = eigen_cam_weights(f, center=center)  # (N, K)
    if center:
        f = f - f.mean(axis=(2, 3), keepdims=True)  # the map is (A - 1 m^T) v
    L = weighted_sum(f, v)  # (N, h, w): A v = sum_k v_k f_k(i, j)
    if relu:
        L = np.maximum(L, 0)  # not the paper's; only if asked for
    return Explanation(L, f, v, S, c, model.layers[i].name)


def eigen_cam(model, x, c=None, layer: str | int | None = None, *, relu: bool = False,
              center: bool = False, details: bool = False, batch_size: int = BATCH):
    """L = A v_1, the (Z x K) activations A projected on their first principal direction. (N, h, w).

    Muhammad & Yeasin 2020, "Eigen-CAM: Class Activation Map using Principal Components". Per
    image, A = U Sigma V^T (SVD) and L(i, j) = sum_k v_k f_k(i, j) with v the first column of V:
    of all unit weight vectors, v makes sum_ij L(i, j)^2 largest. So it too is a weighted sum
    over channels, with weights v_k.

    Choices, stated: A is not centred (as in the paper; pytorch-grad-cam subtracts the mean
    over positions first, which gives another v and shifts the map by a constant). The sign of
    v is free; it is chosen so that v . F >= 0 (F the GAP of f), i.e. the map sums to >= 0 and
    agrees with the average activation. With f >= 0 (after a ReLU) and a simple top singular
    value, that is the v without negative entries (Perron-Frobenius).

    Class-agnostic: ``c`` is accepted for a uniform signature and only recorded in the
    Explanation (``c=None`` records the predicted class); the map is the same for every c.
    Final ReLU: not applied by default (the paper's map is the projection); ``relu=True``
    applies one.

    ``center=True`` adopts pytorch-grad-cam's convention: the map is (A - 1 m^T) v_c, with m_k
    the mean of f_k over positions and v_c the first right singular vector of the centred
    matrix, so the map sums to 0: its positive and negative parts weigh the same, and
    pytorch-grad-cam's final ReLU keeps only the positions above the map's mean. Example: for
    f_k(i, j) = u_k p(i, j) + b_k (one spatial pattern p, plus a constant per channel), the
    centred map is +-|u| (p(i, j) - mean p) whatever b, the sign that of u . (u mean p + b);
    the uncentred one mixes in b. With ``details=True`` the Explanation's f is the centred f.
    """
    x, checked = model_targets(model, x, c)
    return in_batches(eigen_cam_explanation, model, x, checked, batch_size,
                      details=details, layer=layer, relu=relu, center=center)
