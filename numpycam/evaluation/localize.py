"""Weakly supervised localisation: a box from a map, IoU, and top-1 localisation accuracy.

Boxes are integer-or-float arrays (x0, y0, x1, y1) in pixels, x = column, y = row, with
EXCLUSIVE ends: the box covers columns x0 .. x1-1 and rows y0 .. y1-1, so its area is
(x1 - x0) * (y1 - y0) and a whole H x W image is (0, 0, W, H).

Protocols implemented (references in each docstring): the CAM / Grad-CAM box-from-map rule
and top-1 localisation accuracy. Whether a map points at its object (the pointing game, its
energy form): :mod:`numpycam.evaluation.pointing`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import ndimage

from numpycam.methods.postprocess import upsample
from numpycam.validate import as_boxes, as_fraction, as_maps

__all__ = ["box_from_map", "iou", "localization_accuracy"]

_EIGHT_NEIGHBOURS = np.ones((3, 3), dtype=bool)


def box_from_map(
    cam_map: ArrayLike, threshold: float = 0.2, size: int | tuple[int, int] | None = None
) -> np.ndarray:
    """Bounding box (x0, y0, x1, y1) of the dominant region of a map (CAM paper protocol).

    Zhou et al. 2016 (CAM) keep the pixels above 20 % of the map's maximum and box the largest
    connected component; Selvaraju et al. 2017 (Grad-CAM) use 15 % (threshold=0.15):

        keep = map >= threshold * max(map)       (8-connected components)
        box  = bounding box of the component with the most pixels

    The threshold is relative to the raw maximum (not to a min-max normalised map). Ties in
    component area go to the component met first in row-major order. If max(map) <= 0 there is
    no positive evidence and the whole-image box (0, 0, W, H) is returned.

    Args:
        cam_map: (h, w) map or (N, h, w) batch.
        threshold: fraction of the maximum in [0, 1].
        size: image size (int or (H, W)); if given the map is first bilinearly upsampled to it
            with numpycam.methods.postprocess.upsample, so the box is in image pixels.

    Returns:
        int64 array (4,) for one map, (N, 4) for a batch; ends are exclusive.
    """
    threshold = as_fraction(threshold, "threshold")
    maps, single = as_maps(cam_map, "cam_map")  # (N, h, w)
    if size is not None:
        maps = upsample(maps, size)  # (N, H, W)
    n, h, w = maps.shape
    boxes = np.tile(np.array([0, 0, w, h], dtype=np.int64), (n, 1))  # (N, 4)
    for i, m in enumerate(maps):
        peak = m.max()
        if peak <= 0:
            continue
        labels, _ = ndimage.label(m >= threshold * peak, structure=_EIGHT_NEIGHBOURS)
        areas = np.bincount(labels.ravel())[1:]
        rows, cols = ndimage.find_objects(labels)[int(np.argmax(areas))]
        boxes[i] = (cols.start, rows.start, cols.stop, rows.stop)
    return boxes[0] if single else boxes


def iou(box_a: ArrayLike, box_b: ArrayLike) -> float | np.ndarray:
    """Intersection over union of boxes (x0, y0, x1, y1) with exclusive ends.

        inter = max(0, min(xa1, xb1) - max(xa0, xb0)) * max(0, min(ya1, yb1) - max(ya0, yb0))
        iou   = inter / (area_a + area_b - inter),   0 when the union is empty

    exact to rounding for any finite boxes, however large (computed after a common scaling).

    Works on arrays of shape (..., 4) that broadcast against each other, e.g. (N, 4) vs (4,)
    or (N, 1, 4) vs (1, M, 4) for an N x M matrix. Boxes that only touch have IoU 0.

    Returns:
        float for two single boxes, otherwise a float64 array of the broadcast shape minus 4.
    """
    a = as_boxes(box_a, "box_a").astype(np.float64)
    b = as_boxes(box_b, "box_b").astype(np.float64)
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"box_a of shape {a.shape} and box_b of shape {b.shape} do not broadcast; add "
            "axes, e.g. a[:, None] and b[None] for an all-pairs matrix"
        ) from None
    # Both boxes are scaled by the power of two 2^-e that brings their largest coordinate into
    # [0.5, 1): exact (a power of two only moves the exponent) and IoU does not change with
    # scale, so areas of huge boxes (1e308 squared) cannot overflow.
    e = np.frexp(np.maximum(np.abs(a).max(axis=-1), np.abs(b).max(axis=-1)))[1]  # broadcast shape
    a, b = np.ldexp(a, -e[..., None]), np.ldexp(b, -e[..., None])
    iw = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    ih = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = iw * ih
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    union = area_a + area_b - inter
    out = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
    return float(out) if out.ndim == 0 else out


def localization_accuracy(
    pred_boxes: ArrayLike,
    true_boxes: ArrayLike,
    pred_labels: ArrayLike,
    true_labels: ArrayLike,
    iou_threshold: float = 0.5,
) -> float:
    """Top-1 localisation accuracy as in the CAM and Grad-CAM papers (ImageNet protocol).

        correct_i = (pred_label_i == true_label_i) and max_k iou(pred_box_i, true_box_ik) >= t
        accuracy  = mean_i correct_i

    Args:
        pred_boxes: (N, 4) one predicted box per image.
        true_boxes: (N, 4), or (N, K, 4) when an image has several ground-truth boxes of its
            class (pad images with fewer boxes by repeating one of them).
        pred_labels, true_labels: (N,) class labels.
        iou_threshold: t in [0, 1]; the papers use 0.5.

    Returns:
        Fraction of correct images, a float in [0, 1].
    """
    t = as_fraction(iou_threshold, "iou_threshold")
    pred = as_boxes(pred_boxes, "pred_boxes")
    true = as_boxes(true_boxes, "true_boxes")
    pl, tl = np.asarray(pred_labels), np.asarray(true_labels)
    n = pred.shape[0] if pred.ndim == 2 else -1
    shapes_ok = true.ndim in (2, 3) and true.shape[0] == n and 0 not in true.shape
    if n < 1 or not shapes_ok or pl.shape != (n,) or tl.shape != (n,):
        raise ValueError(
            "expected pred_boxes (N, 4), true_boxes (N, 4) or (N, K, 4), labels (N,) with N >= 1; "
            f"got {pred.shape}, {true.shape}, {pl.shape}, {tl.shape}"
        )
    if (pl.dtype.kind in "US") != (tl.dtype.kind in "US") or "O" in (pl.dtype.kind, tl.dtype.kind):
        raise TypeError(f"pred_labels ({pl.dtype}) and true_labels ({tl.dtype}) must both be "
                        "class indices (ints) or both strings; a string never equals an int")
    true = true[:, None] if true.ndim == 2 else true  # (N, K, 4)
    best = iou(pred[:, None], true).max(axis=1)  # (N,)
    return float(np.mean((pl == tl) & (best >= t)))
