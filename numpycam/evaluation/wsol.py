"""Threshold-free localisation scores: MaxBoxAccV2 and PxAP, and two maps that know nothing.

Choe, Oh, Lee, Chun, Akata, Shim, "Evaluating Weakly Supervised Object Localization Methods
Right" (CVPR 2020) showed that one fixed box threshold (the CAM paper's 20 % of the maximum)
flatters some methods and hides the rest, and proposed scores that sweep every threshold:

    L_n      the map of image n for its TRUE class (the class is given: "GT-known"), upsampled
             to the image (H, W) and min-max normalised to [0, 1] (a constant map becomes zeros)
    B_n(t)   the boxes of EVERY 8-connected region of {L_n >= t}, t in a grid over [0, 1)
    IoU_n(t) max over the boxes in B_n(t) of iou(box, true box of n)   (0 if B_n(t) is empty)
    BoxAcc(t, delta) = mean_n [IoU_n(t) >= delta]
    MaxBoxAcc(delta) = max_t BoxAcc(t, delta)
    MaxBoxAccV2      = mean over delta in {0.3, 0.5, 0.7} of MaxBoxAcc(delta)

    PxAP = sum_i (R_i - R_{i-1}) P_i, the average precision of the pooled pixels of every
           normalised map against the pooled true masks, with P_i, R_i the precision and
           recall of {L >= s_i} at the i-th distinct score s_i from the top (R_0 = 0).

Both are fractions in [0, 1]. The baselines :func:`centre_gaussian` (a bump in the middle of
every image) and :func:`random_maps` (noise) ignore the image; a method is worth something
only where it scores above them.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from numpycam.evaluation.localize import iou
from numpycam.methods.postprocess import normalize, upsample
from numpycam.train.fit import average_precision
from numpycam.validate import as_boxes, as_maps, as_size

__all__ = ["DELTAS", "TAUS", "MaxBoxAcc", "best_ious", "centre_gaussian", "max_box_acc",
           "prepare", "pxap", "random_maps", "region_boxes"]

DELTAS = (0.3, 0.5, 0.7)
TAUS = tuple(round(0.01 * i, 2) for i in range(100))  # 0.00 .. 0.99, the released code's grid
_EIGHT = np.ones((3, 3), dtype=bool)


def prepare(maps, size) -> np.ndarray:
    """Upsample maps (N, h, w) to size (H, W), then min-max normalise each to [0, 1]. float64."""
    arr, _ = as_maps(maps)
    return normalize(upsample(arr.astype(np.float64), as_size(size)))  # (N, H, W)


def region_boxes(keep: np.ndarray) -> np.ndarray:
    """Boxes (R, 4) (x0, y0, x1, y1), exclusive ends, of every 8-connected region of keep (H, W)."""
    labels, _ = ndimage.label(keep, structure=_EIGHT)
    found = ndimage.find_objects(labels)
    return np.array([(s[1].start, s[0].start, s[1].stop, s[0].stop) for s in found],
                    dtype=np.int64).reshape(-1, 4)


def best_ious(maps01: np.ndarray, boxes: np.ndarray, taus=TAUS, chunk: int = 2000) -> np.ndarray:
    """IoU_n(t) (N, T): the best IoU between any region box of {L_n >= t} and box n.

    maps01 (N, H, W) already normalised to [0, 1]; boxes (N, 4). The N * T binary maps are
    labelled in one call per chunk, with a structure that links pixels only within one map
    (8-neighbours in the plane, nothing across planes), so plane p = n * T + t holds exactly the
    regions of image n at threshold t. tests/test_wsol.py checks it against region_boxes.
    """
    n, t = len(maps01), len(taus)
    structure = np.zeros((3, 3, 3), dtype=bool)
    structure[1] = _EIGHT
    keep = (maps01[:, None] >= np.asarray(taus)[None, :, None, None]).reshape(n * t, *maps01.shape[1:])
    out = np.zeros(n * t)
    for start in range(0, n * t, chunk):
        labels, _ = ndimage.label(keep[start:start + chunk], structure=structure)
        found = ndimage.find_objects(labels)  # slices (plane, rows, columns) per region
        if not found:
            continue
        sl = np.array([(s[0].start, s[2].start, s[1].start, s[2].stop, s[1].stop) for s in found])
        plane = sl[:, 0] + start  # (R,) index n * T + t of each region
        ious = iou(sl[:, 1:], boxes[plane // t])  # (R,)
        np.maximum.at(out, plane, ious)
    return out.reshape(n, t)


class MaxBoxAcc(float):
    """MaxBoxAccV2, a float in [0, 1], that also carries how it was made.

    per_delta  {delta: MaxBoxAcc(delta)}
    best_tau   {delta: the first t of the grid where BoxAcc(t, delta) is largest}
    box_acc    (D, T) BoxAcc(t, delta), one row per delta
    taus       (T,) the threshold grid;  deltas  (D,)
    ious       (N, T) IoU_n(t), so another grid point can be read without recomputing
    """

    def __new__(cls, ious: np.ndarray, taus, deltas):
        box_acc = np.stack([(ious >= d).mean(axis=0) for d in deltas])  # (D, T)
        best = box_acc.max(axis=1)  # (D,)
        self = super().__new__(cls, float(best.mean()))
        self.ious, self.taus, self.deltas, self.box_acc = ious, np.asarray(taus), tuple(deltas), box_acc
        self.per_delta = {d: float(b) for d, b in zip(deltas, best, strict=True)}
        self.best_tau = {d: float(self.taus[i]) for d, i in zip(deltas, box_acc.argmax(1), strict=True)}
        return self

    def at(self, tau: float, delta: float = 0.5) -> float:
        """BoxAcc(tau, delta) at the grid point nearest tau (e.g. one chosen on another split)."""
        j = int(np.argmin(np.abs(self.taus - tau)))
        return float(np.mean(self.ious[:, j] >= delta))

    def __repr__(self) -> str:
        parts = ", ".join(f"{d:g}: {v:.3f} at tau {self.best_tau[d]:.2f}"
                          for d, v in self.per_delta.items())
        return f"MaxBoxAcc({float(self):.4f}; {parts})"


def max_box_acc(maps, boxes, deltas=DELTAS, *, size=None, taus=TAUS) -> MaxBoxAcc:
    """MaxBoxAccV2 of maps (N, h, w) against true boxes (N, 4) (x0, y0, x1, y1), exclusive ends.

    The maps are of the TRUE class. They are upsampled to ``size`` (an int or (H, W); by default
    the maps are already at image size) and min-max normalised; then, for every t in ``taus``,
    every 8-connected region of {map >= t} gives a box, and image n is correct at (t, delta)
    when its best box has IoU >= delta. Returns MaxBoxAccV2 = mean_delta max_t BoxAcc(t, delta)
    as a :class:`MaxBoxAcc` (a float in [0, 1] with ``per_delta``, ``best_tau`` and ``box_acc``).
    Choe et al. 2020 use taus 0, 0.01, .., 0.99 and deltas (0.3, 0.5, 0.7), the defaults here.
    """
    arr, _ = as_maps(maps)
    gt = as_boxes(boxes, "boxes").reshape(-1, 4)
    if len(gt) != len(arr):
        raise ValueError(f"{len(arr)} maps but {len(gt)} boxes; give one true box per map")
    deltas, taus = tuple(float(d) for d in np.atleast_1d(deltas)), tuple(np.atleast_1d(taus))
    if not deltas or not all(0 < d <= 1 for d in deltas):
        raise ValueError(f"deltas must be IoU levels in (0, 1], got {deltas}")
    if not taus or not all(0 <= t < 1 for t in taus) or list(taus) != sorted(taus):
        raise ValueError("taus must be an increasing grid in [0, 1), e.g. numpycam.evaluation.wsol.TAUS")
    return MaxBoxAcc(best_ious(prepare(arr, size or arr.shape[1:]), gt, taus), taus, deltas)


def pxap(maps, masks) -> float:
    """PxAP: average precision of the normalised maps' pixels against the masks, pooled. [0, 1].

    maps (N, h, w) of the true class, upsampled to the masks' (H, W) and min-max normalised;
    masks (N, H, W) bool. Every pixel of every image is one sample, ranked by its map value:
    PxAP = sum_i (R_i - R_{i-1}) P_i over the distinct values (see the module docstring). It is
    computed exactly and equals ``sklearn.metrics.average_precision_score(masks.ravel(),
    maps.ravel())`` on those pooled pixels. A constant map scores the share of object pixels.
    """
    arr, _ = as_maps(maps)
    mk = np.asarray(masks)
    if mk.ndim == 2:
        mk = mk[None]
    if mk.ndim != 3 or len(mk) != len(arr):
        raise ValueError(f"need masks (N, H, W) with one mask per map; got {mk.shape} for "
                         f"{len(arr)} maps")
    if mk.dtype != bool:
        raise TypeError(f"masks must be boolean (True on the object), got dtype {mk.dtype}")
    if not mk.any():
        raise ValueError("the masks hold no object pixel, so precision and recall are undefined")
    return average_precision(prepare(arr, mk.shape[1:]).ravel(), mk.ravel())


def centre_gaussian(n: int, size, sigma: float = 0.25) -> np.ndarray:
    """n copies of exp(-r^2 / (2 (sigma * side)^2)), r the distance to the image centre. (N, H, W).

    A map that never looks at the image: the baseline for "objects tend to be in the middle".
    """
    h, w = as_size(size)
    ys, xs = np.arange(h) - (h - 1) / 2, np.arange(w) - (w - 1) / 2
    r2 = (ys[:, None] / h) ** 2 + (xs[None, :] / w) ** 2
    return np.broadcast_to(np.exp(-r2 / (2 * sigma**2)), (n, h, w)).copy()


def random_maps(n: int, shape, seed: int = 0) -> np.ndarray:
    """n maps of independent uniform noise at ``shape`` (h, w), e.g. the explained layer's grid."""
    return np.random.default_rng(seed).random((n, *as_size(shape)))
