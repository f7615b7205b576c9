"""Does a map point at the object? The pointing game, its energy form, and "its own object".

Targets are boolean masks (N, H, W) or boxes (x0, y0, x1, y1) in pixels with EXCLUSIVE ends
(as in :mod:`numpycam.evaluation.localize`); maps (N, h, w) are bilinearly upsampled to the
targets' grid first. References in each docstring:

    pointing game        hit = distance(argmax of the map, object) <= tolerance
    energy in the box    share = sum(max(map, 0) inside the box) / sum(max(map, 0))
    own object           map k puts more positive mass on object k than on any other object
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike
from scipy import ndimage

from numpycam.methods.postprocess import upsample
from numpycam.validate import as_boxes, as_maps, as_size

__all__ = ["energy_in_box", "favours_own_object", "pointing_game", "targets_as_masks"]


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
