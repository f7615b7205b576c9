"""Overlays as arrays: a map laid on an image, returned as uint8 RGB, no figure drawn.

    rgb = nc.overlay(image, L)           # (H, W, 3) uint8: save it, show it, stack it
    rgbs = nc.overlay(images, maps)      # (N, H, W, 3) for (N, H, W, 3) or (N, 3, H, W) images

The colour rule of the house (numpycam.viz.colour.colour_scale), the same as the figures'
``viz.overlay``: the map is upsampled (bilinear) to the image, coloured SEQUENTIAL (inferno)
if it is never negative, DIVERGING (RdBu_r, 0 in the middle) if it is signed, and each pixel's
opacity follows the map's value, so where the map is 0 the image shows unchanged:

    u = upsample(m, (H, W)),   t = u / v   (|u| / v for a signed map), clipped to [0, 1]
    pixel = (1 - a) image + a colour(u),   a = alpha t,   out = round(255 pixel)

v = ``vmax``, or max u (max |u| when signed): give one vmax to several overlays to put them on
one scale. A map that is 0 everywhere returns the image itself. The colour is read from
matplotlib's colour map table (256 entries); no figure, axes or canvas is made.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps

from numpycam.validate import as_fraction, as_maps
from numpycam.viz.maps import as_rgb, map_layer, to_grey

__all__ = ["overlay_rgb"]


def overlay_rgb(image, m, *, alpha: float = 0.5, cmap: str | None = None, vmax: float | None = None,
                grey: bool = False) -> np.ndarray:
    """Map ``m`` (h, w) laid on ``image``: uint8 (H, W, 3); a batch of images (N, ...) with maps
    (N, h, w) gives (N, H, W, 3).

    ``image``: (H, W, 3), (3, H, W) or (H, W); uint8 0..255 or float in [0, 1] (a network input
    in [-1, 1] is refused: give (x + 1) / 2). ``alpha``: the opacity where the map is at v.
    ``cmap``: a matplotlib colour map name instead of the house's (which never uses a rainbow
    map: their bright bands invent edges). ``grey=True`` lays the map on the image's grey
    version, as the figures do, so every colour seen is the map's.
    """
    alpha = as_fraction(alpha, "alpha")
    if cmap is not None and (not isinstance(cmap, str) or cmap not in colormaps):
        raise ValueError(f"cmap must be a matplotlib colour map name such as 'inferno', got {cmap!r}")
    arr = np.asarray(image)
    maps = np.asarray(m)
    if arr.ndim == 4:
        if maps.ndim != 3 or len(maps) != len(arr):
            raise ValueError(f"a batch of {len(arr)} images needs maps (N, h, w) = ({len(arr)}, "
                             f"h, w), one per image; got maps of shape {maps.shape}")
        return np.stack([overlay_rgb(a, b, alpha=alpha, cmap=cmap, vmax=vmax, grey=grey)
                         for a, b in zip(arr, maps, strict=True)])
    rgb = image_01(arr)  # (H, W, 3) in [0, 1]
    if grey:
        rgb = to_grey(rgb)
    one, _ = as_maps(maps, "m")
    if len(one) != 1:
        raise ValueError(f"one image takes one map (h, w), got maps of shape {maps.shape}")
    rgba, _, _ = map_layer(one[0], rgb.shape[:2], alpha=alpha, vmax=vmax, cmap=cmap)  # as the figures
    a = rgba[..., 3:]  # (H, W, 1): the opacity
    return np.rint(255 * ((1 - a) * rgb + a * rgba[..., :3])).astype(np.uint8)  # (H, W, 3)


def image_01(arr: np.ndarray) -> np.ndarray:
    """An image as (H, W, 3) floats in [0, 1]; uint8 is divided by 255, floats must be in [0, 1]."""
    if arr.dtype.kind not in "uf" or (arr.dtype.kind == "u" and arr.dtype != np.uint8):
        raise TypeError(f"image must be uint8 (0..255) or float in [0, 1], got dtype {arr.dtype}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or (arr.size and (arr.min() < 0 or arr.max() > 1)):
            raise ValueError("a float image must hold values in [0, 1]; a network input in "
                             "[-1, 1] is (x + 1) / 2, a 0..255 one x / 255")
    return as_rgb(arr)
