"""The shapes data sets: one object per image (:func:`shapes`) or two (:func:`two_object_scene`).

Each object is one of four classes, ``CLASSES = ("circle", "square", "triangle", "cross")``,
drawn by :mod:`numpycam.data.render`. ``ShapesData`` and ``SceneData`` hold images, labels,
boxes and masks, and subset like arrays (``data[:100]``). Conventions (layout, boxes, weak
supervision, seeds): :mod:`numpycam.data`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from numpycam.data.render import CIRCUMRADIUS, CLASSES, MIN_RADIUS_PX, centres, check_common, render, tight_boxes

__all__ = ["CLASSES", "SceneData", "ShapesData", "shapes", "two_object_scene"]


def take(batch, index: int | slice | Sequence[int] | np.ndarray, fields: Sequence[str]):
    """A copy of the dataclass ``batch`` keeping the rows ``index`` (an int keeps one row, as a
    subset of one) of each array named in ``fields``."""
    if isinstance(index, (int, np.integer)):
        index = [index]
    if not isinstance(index, slice):
        index = np.asarray(index)
    return dataclasses.replace(batch, **{f: getattr(batch, f)[index] for f in fields})


@dataclass(frozen=True, eq=False)
class _Batch:
    images: np.ndarray
    labels: np.ndarray
    boxes: np.ndarray
    masks: np.ndarray
    classes: tuple[str, ...] = CLASSES

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int | slice | Sequence[int] | np.ndarray):
        """Subset with a slice, an index array or a boolean array (an int gives a subset of one)."""
        return take(self, index, ("images", "labels", "boxes", "masks"))

    def __repr__(self) -> str:
        counts = np.bincount(self.labels.ravel(), minlength=len(self.classes))
        per_class = ", ".join(f"{c}={k}" for c, k in zip(self.classes, counts, strict=True))
        return (f"{type(self).__name__}(n={len(self)}, size={self.images.shape[-1]}, "
                f"dtype={self.images.dtype}, {per_class})")


class ShapesData(_Batch):
    """One object per image: images (N, 3, H, W), labels (N,) int64, boxes (N, 4) int64 as
    (x0, y0, x1, y1) with exclusive ends, masks (N, H, W) bool, classes (names in label order)."""


class SceneData(_Batch):
    """Two objects of different classes per image; object 0 lies in the left half, object 1 in
    the right half: images (N, 3, H, W), labels (N, 2), boxes (N, 2, 4), masks (N, 2, H, W)."""


def shapes(n: int, seed: int = 0, size: int = 64, *, min_scale: float = 0.32,
           max_scale: float = 0.45, clutter: float = 1.0, noise: float = 0.03,
           dtype: np.dtype | type = np.float32) -> ShapesData:
    """`n` images of one object each, labels balanced (counts differ by at most 1) and shuffled.

    The nominal object extent 2R (circle diameter, cross span, ~triangle side; the square's side
    is 0.85 * 2R) is uniform in [min_scale, max_scale] * size. ``clutter`` scales the background
    variation and the distractor strokes (0 gives a flat background colour); ``noise`` is the
    standard deviation of the Gaussian pixel noise (0 disables it). ``dtype``: a float dtype gives
    values in [0, 1], ``np.uint8`` gives ``round(255 * value)``.
    """
    n, seed, size, dtype = check_common(n, seed, size, clutter, noise, dtype)
    if not (0 < min_scale <= max_scale <= 0.6):
        raise ValueError(f"need 0 < min_scale <= max_scale <= 0.6 (fractions of the image side), "
                         f"got min_scale={min_scale}, max_scale={max_scale}")
    if min_scale * size < 2 * MIN_RADIUS_PX:
        raise ValueError(f"min_scale * size = {min_scale * size:.2f} pixels is too small; "
                         f"objects need at least {2 * MIN_RADIUS_PX:g} pixels, raise min_scale")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % len(CLASSES))
    radius = rng.uniform(min_scale, max_scale, n) * size / 2
    centre = centres(rng, radius * CIRCUMRADIUS[labels], 0.0, size - 1.0, size)
    angle = rng.uniform(0, 2 * np.pi, n)
    images, masks = render(rng, labels[:, None], radius[:, None], centre[:, None],
                            angle[:, None], size, clutter, noise, dtype)
    masks = masks[:, 0]
    return ShapesData(images, labels.astype(np.int64), tight_boxes(masks), masks)


def two_object_scene(n: int, seed: int = 0, size: int = 64, classes: Sequence[str] | None = None,
                     *, clutter: float = 1.0, noise: float = 0.03,
                     dtype: np.dtype | type = np.float32) -> SceneData:
    """`n` scenes with two objects of different classes, one per image half (never overlapping).

    ``classes``: names to draw the pair from (default all of CLASSES); labels always index
    CLASSES. Object 0 is in the left half, object 1 in the right half; which class goes left is
    random. Object extent 2R is uniform in [0.22, 0.34] * size so that each fits in its half.
    """
    n, seed, size, dtype = check_common(n, seed, size, clutter, noise, dtype)
    names = CLASSES if classes is None else tuple(classes)
    unknown = [c for c in names if c not in CLASSES]
    if unknown or len(set(names)) < 2:
        raise ValueError(f"classes must name at least two different classes from {CLASSES}, "
                         f"got {names!r}")
    allowed = np.array(sorted({CLASSES.index(c) for c in names}))
    rng = np.random.default_rng(seed)
    pick = np.argsort(rng.random((n, len(allowed))), axis=1)[:, :2]
    labels = allowed[pick]
    radius = rng.uniform(0.22, 0.34, (n, 2)) * size / 2
    half = size / 2
    x_lo, x_hi = np.array([0.0, half]), np.array([half - 1.0, size - 1.0])
    centre = centres(rng, radius * CIRCUMRADIUS[labels], x_lo, x_hi, size)
    angle = rng.uniform(0, 2 * np.pi, (n, 2))
    images, masks = render(rng, labels, radius, centre, angle, size, clutter, noise, dtype)
    return SceneData(images, labels.astype(np.int64), tight_boxes(masks), masks)
