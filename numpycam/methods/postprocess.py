"""Resize and rescale class-activation maps.

A CAM or Grad-CAM map lives on the coarse grid of the last convolutional layer (e.g. 7 x 7);
to overlay it on the image, or to draw a box from it, it is first upsampled to the image size
and usually min-max normalised to [0, 1].

Both functions take one map of shape (h, w) or a batch of shape (N, h, w) and return the same
layout; ``to_image`` is the two in one call, the image-sized [0, 1] map an overlay needs.
Dtype rule: float32 and float64 input keep their dtype; every other real dtype (bool,
integers, float16, long double) is converted to float64 first.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import ndimage

from numpycam.validate import as_maps, as_size

__all__ = ["normalize", "to_image", "upsample"]


def _source_coords(n_in: int, n_out: int, align_corners: bool = False,
                   nearest: bool = False) -> np.ndarray:
    """Half-pixel source coordinates: src = clamp((dst + 0.5) * n_in / n_out - 0.5, 0, n_in - 1);
    with ``align_corners``: src = dst * (n_in - 1) / (n_out - 1) (0 if n_out = 1); ``nearest``:
    src = min(floor(dst * n_in / n_out), n_in - 1), PyTorch's mode="nearest"."""
    dst = np.arange(n_out, dtype=np.float64)
    if nearest:
        return np.minimum(np.floor(dst * (n_in / n_out)), n_in - 1)  # (n_out,)
    if align_corners:
        return dst * ((n_in - 1) / (n_out - 1)) if n_out > 1 else np.zeros(1)  # (n_out,)
    return np.clip((dst + 0.5) * (n_in / n_out) - 0.5, 0.0, n_in - 1)  # (n_out,)


def upsample(maps: ArrayLike, size: int | tuple[int, int], *, align_corners: bool = False,
             mode: str = "bilinear") -> np.ndarray:
    """Bilinearly resize maps of shape (h, w) or (N, h, w) to (H, W) or (N, H, W).

    Half-pixel-centre convention, as in OpenCV ``cv2.resize(..., INTER_LINEAR)`` and PyTorch
    ``F.interpolate(mode="bilinear", align_corners=False)``. Output pixel (y, x) reads the
    source point

        y_src = clamp((y + 0.5) * h / H - 0.5, 0, h - 1)
        x_src = clamp((x + 0.5) * w / W - 0.5, 0, w - 1)

    and interpolates linearly between the four surrounding source pixels. The clamp replicates
    the edge pixels, so the border half-pixel of the output copies the border of the input.
    The same formula also shrinks maps (H < h), although that is plain bilinear sampling, not
    area averaging.

    ``align_corners=True`` is the other convention, PyTorch's ``align_corners=True`` (and
    ``nn.UpsamplingBilinear2d``, which pytorch-grad-cam's Score-CAM uses): the corner pixel
    centres of input and output coincide, y_src = y (h - 1) / (H - 1), so a map that is linear
    in (i, j) stays exactly linear on the new grid and the corners are copied.
    ``mode="nearest"`` copies the source pixel floor(y h / H), floor(x w / W), as PyTorch's
    ``F.interpolate(mode="nearest")`` and Captum's ``LayerAttribution.interpolate`` default;
    an upsampling by an integer factor then repeats each pixel in a block.

    Args:
        maps: (h, w) or (N, h, w) real array, finite.
        size: output size; an int means a square (size, size).

    Returns:
        (H, W) or (N, H, W) array; float32 stays float32, other dtypes become float64.
        Resizing to the current size returns an exact copy; every value stays within
        [min, max] of its map, so a constant map stays exactly constant.
    """
    arr, single = as_maps(maps)  # (N, h, w)
    out_h, out_w = as_size(size)
    if mode not in ("bilinear", "nearest"):
        raise ValueError(f'mode must be "bilinear" or "nearest", got {mode!r}')
    nearest = mode == "nearest"
    n, h, w = arr.shape
    if (out_h, out_w) == (h, w):
        out = arr.copy()
    else:
        ys, xs = np.meshgrid(_source_coords(h, out_h, align_corners, nearest),
                             _source_coords(w, out_w, align_corners, nearest), indexing="ij")
        coords = np.stack([ys, xs])  # (2, H, W)
        out = np.empty((n, out_h, out_w), dtype=arr.dtype)  # (N, H, W)
        for i in range(n):
            ndimage.map_coordinates(arr[i], coords, output=out[i], order=1, mode="nearest")
        # Each output is a convex combination of inputs; clipping to [min, max] removes the
        # rounding that would otherwise make a constant map very slightly non-constant (which
        # normalize would then stretch into a full-range [0, 1] pattern of rounding noise).
        np.clip(out, arr.min(axis=(1, 2), keepdims=True), arr.max(axis=(1, 2), keepdims=True),
                out=out)
    return out[0] if single else out


def normalize(maps: ArrayLike) -> np.ndarray:
    """Min-max rescale each map of shape (h, w) or (N, h, w) to [0, 1].

        out = (m - min(m)) / (max(m) - min(m))   if max(m) > min(m)
        out = 0 everywhere                       otherwise (constant map, e.g. all zeros)

    The rule has no tolerance: any map that is not exactly constant is stretched to span
    exactly [0, 1] (its minimum becomes 0.0 and its maximum 1.0). The result is never NaN.

    Returns:
        Array of the input's shape; float32 stays float32, other dtypes become float64.
    """
    arr, single = as_maps(maps)  # (N, h, w)
    lo = arr.min(axis=(1, 2), keepdims=True)  # (N, 1, 1)
    hi = arr.max(axis=(1, 2), keepdims=True)  # (N, 1, 1)
    with np.errstate(over="ignore"):
        rng = hi - lo
        shifted = arr - lo  # (N, h, w)
    # A range that overflows (values near the float maximum) is computed on halved values.
    huge = ~np.isfinite(rng)
    if huge.any():
        shifted = np.where(huge, arr / 2 - lo / 2, shifted)
        rng = np.where(huge, hi / 2 - lo / 2, rng)
    positive = rng > 0
    out = np.where(positive, shifted / np.where(positive, rng, 1), 0).astype(arr.dtype, copy=False)
    return out[0] if single else out


def to_image(maps: ArrayLike, size: int | tuple[int, int], normalize: bool = True) -> np.ndarray:
    """Maps at the image's size, each in [0, 1]: (h, w) -> (H, W), (N, h, w) -> (N, H, W), and
    (N, T, h, w) (several classes per image) -> (N, T, H, W).

        out = normalize(upsample(m, size))

    Upsampling: bilinear, half-pixel centres (:func:`upsample`; PyTorch's
    ``F.interpolate(..., mode="bilinear", align_corners=False)``, OpenCV's ``INTER_LINEAR``).
    Normalisation, per map, after upsampling (:func:`normalize`): min-max, so the map's minimum
    becomes exactly 0 and its maximum exactly 1, as pytorch-grad-cam's ``scale_cam_image``
    (which adds 1e-7 to the divisor); a constant map (e.g. all zero after Grad-CAM's ReLU)
    becomes zeros, never NaN. A signed map (CAM, ``relu=False``) has its most negative value
    sent to 0: pass ``np.maximum(m, 0)`` first to keep 0 at 0. ``normalize=False`` returns the
    upsampled raw values. float32 stays float32; other dtypes become float64.
    """
    arr = np.asarray(maps)
    if arr.ndim == 4:  # (N, T, h, w): the T maps of each image, one after the other
        return to_image(arr.reshape(-1, *arr.shape[2:]), size, normalize).reshape(
            *arr.shape[:2], *as_size(size))
    up = upsample(arr, size)  # (N, H, W)
    return min_max(up) if normalize else up


min_max = normalize  # to_image's argument ``normalize`` hides the function inside it
