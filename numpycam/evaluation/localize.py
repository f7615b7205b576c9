"""Weakly supervised localisation: boxes from maps, and the standard ways to score maps.

Boxes are integer-or-float arrays (x0, y0, x1, y1) in pixels, x = column, y = row, with
EXCLUSIVE ends: the box covers columns x0 .. x1-1 and rows y0 .. y1-1, so its area is
(x1 - x0) * (y1 - y0) and a whole H x W image is (0, 0, W, H).

Protocols implemented (references in each docstring): the CAM / Grad-CAM box-from-map rule
and top-1 localisation accuracy, the pointing game, and the energy-based pointing game.
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike
from scipy import ndimage

from numpycam.methods.postprocess import upsample
from numpycam.validate import as_boxes, as_fraction, as_maps, as_size

__all__ = ["box_from_map", "energy_in_box", "favours_own_object", "iou", "localization_accuracy",
           "pointing_game"]

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
    iw = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    ih = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = iw * ih
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    union = area_a + area_b - inter
    out = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
    return float(out) if out.ndim == 0 else out


def targets_as_masks(maps: np.ndarray, single: bool, targets: ArrayLike, size, name: str):
    """Maps and their targets on one pixel grid: (maps upsampled (N, H, W), masks (N, H, W) bool).

    maps (N, h, w), or (h, w) with ``single``; targets are boolean masks (N, H, W) (or (H, W)),
    whose grid is the image's, or boxes (N, 4) (or (4,)) as (x0, y0, x1, y1) with exclusive ends
    on an image of ``size`` (int or (H, W)). ``name`` names the targets in error messages.
    """
    t = np.asarray(targets)
    n = maps.shape[0]
    if t.dtype == bool:
        if t.ndim != (2 if single else 3) or 0 in t.shape[-2:]:
            raise ValueError(
                f"masks must have shape {'(H, W)' if single else '(N, H, W)'} to match maps of "
                f"shape {maps.shape[1:] if single else maps.shape}, got {t.shape}"
            )
        masks = t[None] if single else t  # (N, H, W)
        grid = masks.shape[1:]
        if size is not None and as_size(size) != grid:
            raise ValueError(f"size={size!r} disagrees with the mask shape {grid}; drop size")
    else:
        if t.ndim >= 2 and t.shape[-1] != 4:
            raise ValueError(
                f"{name} of shape {t.shape} is neither boxes (..., 4) nor a mask; masks must "
                "have dtype bool (use mask.astype(bool))"
            )
        boxes = as_boxes(t, name)
        if boxes.ndim != (1 if single else 2):
            want = "(4,)" if single else "(N, 4)"
            raise ValueError(f"{name} must have shape {want}, got {boxes.shape}")
        boxes = boxes[None] if single else boxes  # (N, 4)
        grid = maps.shape[1:] if size is None else as_size(size)
        hh, ww = grid
        outside = np.any(boxes < 0) or np.any(boxes[:, [2, 3]] > [ww, hh])
        if outside or np.any(boxes != np.round(boxes)):
            raise ValueError(
                f"{name} must hold whole-pixel coordinates inside the {hh} x {ww} grid; if the "
                "boxes are in image pixels pass size=(H, W) of the image"
            )
        masks = np.zeros((boxes.shape[0], hh, ww), dtype=bool)  # (N, H, W)
        for mask, (x0, y0, x1, y1) in zip(masks, boxes.astype(np.int64), strict=True):
            mask[y0:y1, x0:x1] = True
    if masks.shape[0] != n:
        raise ValueError(f"got {n} maps but {masks.shape[0]} targets; pass one target per map")
    return upsample(maps, tuple(grid)), masks


def pointing_game(
    maps: ArrayLike,
    masks_or_boxes: ArrayLike,
    size: int | tuple[int, int] | None = None,
    tolerance: float = 0,
) -> bool | np.ndarray:
    """Pointing game (Zhang et al. 2016, "Top-down Neural Attention by Excitation Backprop").

        hit = distance(argmax of the map, object) <= tolerance

    The map is upsampled to the target grid; its maximum is the FIRST argmax in row-major
    order (ties are not searched further). The distance is Euclidean between pixel centres, to
    the nearest object pixel; tolerance=0 asks for the peak to lie on the object, and the
    original protocol uses tolerance=15. An empty object is never hit.

    Args:
        maps: (h, w) or (N, h, w).
        masks_or_boxes: a BOOL array is read as masks (H, W) / (N, H, W) giving the grid;
            any other dtype as boxes (4,) / (N, 4) in whole pixels of the grid `size`
            (default: the map's own grid, i.e. no upsampling).
        size: image size (int or (H, W)) the boxes refer to; ignored for masks.
        tolerance: non-negative distance in pixels.

    Returns:
        bool for one map, bool array (N,) for a batch.
    """
    if not isinstance(tolerance, numbers.Real) or isinstance(tolerance, bool) or not tolerance >= 0:
        raise ValueError(f"tolerance must be a non-negative number of pixels, got {tolerance!r}")
    arr, single = as_maps(maps)  # (N, h, w)
    up, masks = targets_as_masks(arr, single, masks_or_boxes, size, "boxes")  # (N, H, W) x2
    hits = np.zeros(len(up), dtype=bool)  # (N,)
    for i, (m, mask) in enumerate(zip(up, masks, strict=True)):
        if mask.any():
            y, x = np.unravel_index(np.argmax(m), m.shape)
            hits[i] = ndimage.distance_transform_edt(~mask)[y, x] <= tolerance
    return bool(hits[0]) if single else hits


def energy_in_box(
    maps: ArrayLike, boxes: ArrayLike, size: int | tuple[int, int] | None = None
) -> float | np.ndarray:
    """Energy-based pointing game (Wang et al. 2020, Score-CAM): share of map mass in the box.

        e = max(upsample(map), 0)
        share = sum(e inside box) / sum(e)       0 when sum(e) == 0 (e.g. an all-zero map)

    Args:
        maps: (h, w) or (N, h, w).
        boxes: (4,) or (N, 4) in whole pixels of the grid `size` (default: the map's own grid).
        size: image size (int or (H, W)); the maps are bilinearly upsampled to it first.

    Returns:
        float in [0, 1] for one map, float64 array (N,) for a batch.
    """
    if np.asarray(boxes).dtype == bool:
        raise TypeError("boxes must be int or float (x0, y0, x1, y1), not a boolean mask")
    arr, single = as_maps(maps)  # (N, h, w)
    up, masks = targets_as_masks(arr, single, boxes, size, "boxes")  # (N, H, W) x2
    energy = np.maximum(up, 0).astype(np.float64)  # (N, H, W)
    # the share does not depend on a map's scale: dividing by its peak first keeps the sums
    # finite for maps near the float64 maximum (1e308 everywhere would overflow)
    peak = energy.max(axis=(1, 2), keepdims=True)
    energy /= np.where(peak > 0, peak, 1)
    inside = np.where(masks, energy, 0).sum(axis=(1, 2))  # (N,)
    total = energy.sum(axis=(1, 2))  # (N,)
    share = np.where(total > 0, inside / np.where(total > 0, total, 1), 0.0)
    share = np.minimum(share, 1.0)  # guard against rounding just above 1
    return float(share[0]) if single else share


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


def favours_own_object(maps, masks) -> np.ndarray:
    """For scenes of K objects: does the map for object k's class put more positive mass on
    object k than on any other object?  (The post's "dog versus cat" question, as a number.)

    maps (N, K, h, w): map k explains the class of object k; masks (N, K, H, W) bool. The maps
    are upsampled to (H, W) and their negative part dropped. Returns bool (N, K).
    """
    maps = np.asarray(maps, dtype=np.float64)
    masks = np.asarray(masks)
    if maps.ndim != 4 or masks.ndim != 4 or maps.shape[:2] != masks.shape[:2]:
        raise ValueError(f"need maps (N, K, h, w) and masks (N, K, H, W) with the same N, K; "
                         f"got {maps.shape} and {masks.shape}")
    n, k, h, w = maps.shape
    up = np.maximum(upsample(maps.reshape(n * k, h, w), masks.shape[2:]), 0)
    mass = np.einsum("nkhw,njhw->nkj", up.reshape(n, k, *masks.shape[2:]), masks.astype(float))
    own = np.einsum("nkk->nk", mass)  # mass of map k on object k
    other = np.where(np.eye(k, dtype=bool), -np.inf, mass).max(axis=2)
    return own > other
