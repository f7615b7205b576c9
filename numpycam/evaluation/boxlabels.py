"""Box labels -> pixel labels: the post's second example of weak supervision.

Given a box around each object (the weak label) and a map of where the class is, guess which
pixels of the box are the object (the detailed label):

    m = upsample(L^c) to the image grid                     (N, H, W)
    mask(i, j) = [(i, j) in box] and m(i, j) >= t * max_{box} m

where the maximum is taken inside the box only, so evidence elsewhere in the image does not
matter. If the map has no positive value in the box, the whole box is returned (no evidence
is no reason to drop pixels). The naive guess without a map is the whole box,
``box_masks(boxes, size)``; ``mask_iou`` scores either against the true mask:

    IoU(A, B) = |A and B| / |A or B|        1 when both are empty

Boxes are (x0, y0, x1, y1) with exclusive ends, in whole pixels of the image grid (as in
numpycam.evaluation.localize).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from numpycam.evaluation.pointing import targets_as_masks
from numpycam.validate import as_fraction, as_maps, as_size

__all__ = ["box_masks", "mask_in_box", "mask_iou"]


def box_masks(boxes: ArrayLike, size: int | tuple[int, int]) -> np.ndarray:
    """The naive pixel labels: every pixel of the box is the object. (N, 4) -> (N, H, W) bool."""
    h, w = as_size(size)
    boxes = np.asarray(boxes)
    if boxes.ndim != 2:
        raise ValueError(f"boxes must have shape (N, 4), got {boxes.shape}")
    _, masks = targets_as_masks(np.zeros((len(boxes), h, w)), False, boxes, None, "boxes")
    return masks


def mask_in_box(maps: ArrayLike, boxes: ArrayLike, threshold: float = 0.2,
                size: int | tuple[int, int] | None = None) -> np.ndarray:
    """Pixel labels from a map and a box: the box's pixels where the map, upsampled to ``size``
    (default: the map's own grid), is at least ``threshold`` times its maximum inside the box.

    maps (N, h, w), boxes (N, 4) in pixels of the ``size`` grid -> masks (N, H, W) bool.
    """
    threshold = as_fraction(threshold, "threshold")
    arr, single = as_maps(maps, "maps")
    if single:
        raise ValueError(f"maps must be a batch (N, h, w), got shape {arr.shape}; use maps[None]")
    up, inside = targets_as_masks(arr, False, boxes, size, "boxes")  # (N, H, W) x2
    peak = np.where(inside, up, 0).max(axis=(1, 2), keepdims=True, initial=0)  # (N, 1, 1)
    keep = np.where(peak > 0, up >= threshold * peak, True)  # no positive evidence: all
    return inside & keep


def mask_iou(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """|A and B| / |A or B| per image, for boolean masks (N, H, W) of the same shape -> (N,)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != bool or b.dtype != bool:
        raise TypeError(f"masks must be boolean arrays, got {a.dtype} and {b.dtype}; use "
                        "mask.astype(bool) or compare a map with a threshold")
    if a.shape != b.shape or a.ndim != 3:
        raise ValueError(f"masks must both have shape (N, H, W), got {a.shape} and {b.shape}")
    inter = (a & b).sum(axis=(1, 2))
    union = (a | b).sum(axis=(1, 2))
    return np.where(union > 0, inter / np.maximum(union, 1), 1.0)
