"""Scenes of one to three objects with weak, multi-label labels: the set of classes present.

:func:`multi_object_scenes` draws each scene's number of objects uniformly in
``min_objects..max_objects``, gives them DIFFERENT classes (a scene never holds two objects of
one class, so each present class has exactly one object: "its own object" is one region, and
counting objects and counting present classes is the same), and puts each object in its own
cell of a 2 x 2 grid, at a random position inside the cell. Objects therefore never overlap
or touch. Background, clutter, colours and noise come from the renderer of :mod:`numpycam.data`.

Weak supervision: ``labels`` is multi-hot, ``labels[n, c] = 1`` when class c is in scene n and
nothing says where, or how many. ``objects``, ``boxes`` and ``masks`` are for EVALUATION only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from numpycam.data.datasets import take
from numpycam.data.render import CIRCUMRADIUS, CLASSES, MIN_RADIUS_PX, check_common, render, tight_boxes
from numpycam.validate import positive_int

__all__ = ["MultiSceneData", "multi_object_scenes"]

_GRID = 2  # cells per side; up to _GRID**2 objects per scene


@dataclass(frozen=True, eq=False)
class MultiSceneData:
    """Scenes of up to K objects of different classes (K = the ``max_objects`` asked for).

    images (N, 3, H, W); labels (N, M) int64 multi-hot, the weak label (M = len(classes));
    count (N,) int64 objects per scene; objects (N, K) int64 class of object k, -1 past
    ``count``; boxes (N, K, 4) int64 (x0, y0, x1, y1), exclusive ends, zeros past ``count``;
    masks (N, K, H, W) bool, all False past ``count``. :attr:`class_masks` (N, M, H, W) is the
    mask of each class's object (all False for an absent class).
    """

    images: np.ndarray
    labels: np.ndarray
    count: np.ndarray
    objects: np.ndarray
    boxes: np.ndarray
    masks: np.ndarray
    classes: tuple[str, ...] = CLASSES

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int | slice | Sequence[int] | np.ndarray) -> MultiSceneData:
        """Subset with a slice, an index array or a boolean array (an int gives a subset of one)."""
        return take(self, index, ("images", "labels", "count", "objects", "boxes", "masks"))

    @property
    def class_masks(self) -> np.ndarray:
        """(N, M, H, W) bool: the pixels of class c's object in scene n (classes are distinct)."""
        n, k, h, w = self.masks.shape
        out = np.zeros((n, len(self.classes), h, w), bool)
        for j in range(k):
            rows = np.flatnonzero(self.objects[:, j] >= 0)
            out[rows, self.objects[rows, j]] |= self.masks[rows, j]
        return out

    def __repr__(self) -> str:
        per_count = np.bincount(self.count, minlength=self.objects.shape[1] + 1)[1:]
        counts = ", ".join(f"{k + 1}: {v}" for k, v in enumerate(per_count) if v)
        present = ", ".join(f"{c}={k}" for c, k in zip(self.classes, self.labels.sum(0), strict=True))
        return (f"MultiSceneData(n={len(self)}, size={self.images.shape[-1]}, "
                f"dtype={self.images.dtype}, scenes by objects {{{counts}}}, present: {present})")


def multi_object_scenes(n: int, seed: int = 0, size: int = 64, *, min_objects: int = 1,
                        max_objects: int = 3, min_scale: float = 0.26, max_scale: float = 0.38,
                        clutter: float = 1.0, noise: float = 0.03,
                        dtype: np.dtype | type = np.float32) -> MultiSceneData:
    """`n` scenes of ``min_objects..max_objects`` objects (uniform), classes distinct and random.

    The image is cut into a 2 x 2 grid of cells; each object gets its own random cell and a
    uniform position inside it that keeps its whole shape in the cell, so objects are disjoint.
    The object extent 2R is uniform in [min_scale, max_scale] * size (as in
    :func:`numpycam.data.shapes`); an object too large for its cell is shrunk to fit (at 64
    pixels the defaults always fit). ``clutter``, ``noise`` and ``dtype`` as in ``shapes``.
    """
    n, seed, size, dtype = check_common(n, seed, size, clutter, noise, dtype)
    most = min(len(CLASSES), _GRID**2)
    min_objects = positive_int(min_objects, "min_objects", 1, "a scene holds at least one object")
    max_objects = positive_int(max_objects, "max_objects", 1, "a scene holds at least one object")
    if not min_objects <= max_objects <= most:
        raise ValueError(f"need 1 <= min_objects <= max_objects <= {most} (objects have different "
                         f"classes), got min_objects={min_objects}, max_objects={max_objects}")
    if not (0 < min_scale <= max_scale <= 0.6):
        raise ValueError(f"need 0 < min_scale <= max_scale <= 0.6 (fractions of the image side), "
                         f"got min_scale={min_scale}, max_scale={max_scale}")
    if min_scale * size < 2 * MIN_RADIUS_PX:
        raise ValueError(f"min_scale * size = {min_scale * size:.2f} pixels is too small; "
                         f"objects need at least {2 * MIN_RADIUS_PX:g} pixels, raise min_scale")
    rng = np.random.default_rng(seed)
    k = max_objects
    count = rng.integers(min_objects, max_objects + 1, n)
    labels = np.argsort(rng.random((n, len(CLASSES))), axis=1)[:, :k]  # (N, K) distinct classes
    cell = np.argsort(rng.random((n, _GRID**2)), axis=1)[:, :k]  # (N, K) distinct cells
    side = size // _GRID
    rc_max = (side - 1) / 2 - 0.5  # the disc of radius rc around the centre stays in the cell
    radius = rng.uniform(min_scale, max_scale, (n, k)) * size / 2
    radius = np.minimum(radius, rc_max / CIRCUMRADIUS[labels])
    rc = radius * CIRCUMRADIUS[labels]  # (N, K)
    lo = np.stack([cell % _GRID, cell // _GRID], axis=-1) * side + rc[..., None] + 0.5
    hi = lo + (side - 1) - 2 * rc[..., None] - 1.0  # (N, K, 2) as (x, y)
    centre = lo + rng.random(lo.shape) * (hi - lo)
    angle = rng.uniform(0, 2 * np.pi, (n, k))
    images = np.empty((n, 3, size, size), dtype)
    masks = np.zeros((n, k, size, size), bool)
    for j in range(min_objects, max_objects + 1):  # render each object count on its own
        rows = np.flatnonzero(count == j)
        if len(rows):
            images[rows], masks[rows, :j] = render(
                rng, labels[rows, :j], radius[rows, :j], centre[rows, :j], angle[rows, :j],
                size, clutter, noise, dtype)
    present = np.arange(k) < count[:, None]  # (N, K)
    objects = np.where(present, labels, -1).astype(np.int64)
    multi_hot = np.zeros((n, len(CLASSES)), np.int64)
    np.put_along_axis(multi_hot, np.where(present, labels, labels[:, :1]), 1, axis=1)
    boxes = np.where(present[..., None], tight_boxes(masks), 0).astype(np.int64)
    return MultiSceneData(images, multi_hot, count.astype(np.int64), objects, boxes, masks)
