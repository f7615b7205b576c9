"""Drawing on one axes: an image, a map, a map over an image, a box, an input gradient.

    show_image(ax, x[0], "input")     # (C, H, W) or (H, W, C), float [0, 1] or uint8
    heatmap(ax, L[0], "CAM")          # one map (h, w), with a colour bar
    overlay(ax, x[0], L[0])           # the map upsampled and laid on the grey image
    draw_box(ax, box, label="truth")  # (x0, y0, x1, y1), exclusive ends

Colours follow :func:`numpycam.viz.colour.colour_scale`. An overlay lays the map on the image's
grey version with an opacity that grows with |value|: where the map is 0 the grey image shows
unchanged, so the background never changes colour from image to image, and every colour seen
is the map's.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.patches import Rectangle

from numpycam.methods.postprocess import upsample
from numpycam.viz.colour import DIVERGING, TRUTH, colour_scale, map_colorbar

__all__ = ["as_rgb", "draw_box", "heatmap", "overlay", "show_gradient", "show_image"]


def as_rgb(img) -> np.ndarray:
    """An image (C, H, W) or (H, W, C) or (H, W), float in [0, 1] or uint8, as (H, W, 3) floats."""
    a = np.asarray(img)
    a = a / 255.0 if a.dtype == np.uint8 else a.astype(np.float64)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    elif a.ndim == 3 and a.shape[0] in (1, 3) and a.shape[2] not in (1, 3):
        a = a.transpose(1, 2, 0)  # (H, W, C)
    if a.ndim != 3 or a.shape[2] not in (1, 3):
        raise ValueError(f"expected an image (C, H, W), (H, W, C) or (H, W); got {np.shape(img)}")
    return np.clip(np.repeat(a, 3, axis=2) if a.shape[2] == 1 else a, 0, 1)  # (H, W, 3)


def _clean(ax, title):
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)


def show_image(ax, img, title: str | None = None):
    """Draw an image; pixel (row i, column j) sits at y = i, x = j."""
    ax.imshow(as_rgb(img), interpolation="nearest")
    _clean(ax, title)


def heatmap(ax, m, title: str | None = None, *, colorbar: bool = True, signed: bool | None = None,
            vmin=None, vmax=None, annotate: bool = False, fmt: str = "{:.2g}",
            xlabels=None, ylabels=None):
    """Draw one map (h, w) at its own resolution (no smoothing), coloured by ``colour_scale``.

    A map with a negative value (or ``vmin < 0``, or ``signed=True``) is drawn DIVERGING with
    limits -v .. v, v = max(|vmin|, |vmax|) or max |m|; any other map SEQUENTIAL from ``vmin``
    (default 0) to ``vmax`` (default max m). Give the same vmin/vmax to several maps to share a
    scale. ``annotate=True`` writes every value in its cell (for small maps, e.g. a toy feature
    map or a weight matrix); ``xlabels`` / ``ylabels`` name the columns / rows.
    """
    m = np.asarray(m, dtype=np.float64)
    if m.ndim != 2:
        raise ValueError(f"heatmap draws one map (h, w), got shape {m.shape}")
    cmap, lo, hi = colour_scale(m, signed=signed, vmin=vmin, vmax=vmax)
    im = ax.imshow(m, cmap=cmap, vmin=lo, vmax=hi, interpolation="nearest")
    if annotate:
        for (i, j), v in np.ndenumerate(m):
            r, g, b, _ = im.cmap(im.norm(v))
            dark = 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.45  # luminance of the cell's colour
            ax.text(j, i, fmt.format(v + 0.0), ha="center", va="center", fontsize=8,  # no "-0"
                    color="white" if dark else "black", fontweight="bold")
    if colorbar:
        map_colorbar(ax, im, m, lo, hi)
    _clean(ax, title)
    if xlabels is not None:
        ax.set_xticks(np.arange(m.shape[1]), xlabels, fontsize=7)
    if ylabels is not None:
        ax.set_yticks(np.arange(m.shape[0]), ylabels, fontsize=7)
    return im


def to_grey(rgb: np.ndarray) -> np.ndarray:
    """The grey version (luma, ITU-R 601 weights) of an (H, W, 3) image, still (H, W, 3)."""
    return np.repeat((rgb @ np.array([0.299, 0.587, 0.114]))[..., None], 3, axis=2)


def map_layer(m, shape, *, alpha: float, signed: bool | None = None, vmin=None, vmax=None,
              positive: bool = False, cmap: str | None = None):
    """The map as a colour layer over an image of ``shape`` (H, W): (rgba, up, (name, lo, hi)).

        up = upsample(m),   t = |up| / v  (signed)  or  (up - lo) / (hi - lo),  clipped to [0, 1]
        rgba = colour(up) with opacity alpha * t

    ``name``, ``lo``, ``hi`` come from ``colour_scale`` (the house rule; ``cmap`` only changes
    the colours); ``positive=True`` keeps max(up, 0). The figures' ``overlay`` draws the layer
    over the image, ``numpycam.viz.arrays.overlay_rgb`` blends it into a uint8 array."""
    up = upsample(np.asarray(m, dtype=np.float64), shape)  # (H, W)
    if positive:
        up = np.maximum(up, 0.0)
    name, lo, hi = colour_scale(up, signed=signed, vmin=vmin, vmax=vmax)
    rgba = colormaps[cmap or name](Normalize(lo, hi)(up))  # (H, W, 4)
    t = np.abs(up) / hi if name == DIVERGING else (up - lo) / (hi - lo)
    rgba[..., 3] = alpha * np.clip(np.nan_to_num(t), 0.0, 1.0)
    return rgba, up, (name, lo, hi)


def overlay(ax, img, m, title: str | None = None, *, alpha: float = 0.75, colorbar: bool = True,
            vmin=None, vmax=None, signed: bool | None = None, positive: bool = False,
            grey: bool = True):
    """The map upsampled (bilinear) to the image size and laid over the image's grey version,
    each pixel's opacity following the map's value there.

        u = upsample(m),   t = |u| / v   (clipped to [0, 1])
        pixel = (1 - a) grey(image) + a colour(u),   a = alpha * t

    v is the top of ``colour_scale`` (max |m| unless ``vmax`` is given: give the same vmax
    to several overlays to put them on one scale). Where the map is 0 the image shows unchanged,
    so the background looks the same in every figure (a min-max stretch tints it differently in
    each), and, the image being grey, every colour seen is the map's. A map that is never
    negative is coloured SEQUENTIAL; a signed one DIVERGING, positive red and negative blue,
    both fading out at 0; ``positive=True`` draws only max(m, 0). ``grey=False`` keeps the
    image's own colours underneath. Returns the ScalarMappable of the colour bar.
    """
    rgb = as_rgb(img)
    if grey:
        rgb = to_grey(rgb)  # (H, W, 3)
    rgba, up, (cmap, lo, hi) = map_layer(m, rgb.shape[:2], alpha=alpha, signed=signed, vmin=vmin,
                                         vmax=vmax, positive=positive)
    ax.imshow(rgb, interpolation="nearest")
    ax.imshow(rgba, interpolation="nearest")
    sm = ScalarMappable(Normalize(lo, hi), cmap)
    if colorbar:
        map_colorbar(ax, sm, up, lo, hi)
    _clean(ax, title)
    return sm


def draw_box(ax, box, color: str = TRUTH, label: str | None = None, *, linewidth: float = 1.8):
    """Outline box (x0, y0, x1, y1) with exclusive ends, in pixel coordinates of the image."""
    x0, y0, x1, y1 = (float(v) for v in box)
    # pixel j covers [j - 0.5, j + 0.5] in imshow coordinates, so the box spans x0-0.5 .. x1-0.5
    ax.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, edgecolor=color,
                           linewidth=linewidth))
    if label:
        ax.text(x0 - 0.5, y0 - 1.0, label, color="black", fontsize=7, va="bottom",
                bbox={"facecolor": color, "edgecolor": "none", "pad": 1, "alpha": 0.85})


def show_gradient(ax, g, title: str | None = None, *, colorbar: bool = True, vmax=None,
                  clip: float = 99.5):
    """An input-space gradient (C, H, W), (H, W, C) or (H, W) as one signed map, DIVERGING.

        G(i, j) = sum_c g[c, i, j]     (the derivative for brightening all channels of a pixel)

    Limits -v .. v, v = ``vmax`` or the ``clip`` percentile of |G| (a few large values would
    otherwise leave the rest white); the colour bar's arrows mark values beyond. 0 is white.
    """
    g = np.asarray(g, dtype=np.float64)
    if g.ndim == 3:
        g = g.sum(axis=0 if g.shape[0] in (1, 3) and g.shape[2] not in (1, 3) else 2)  # (H, W)
    if g.ndim != 2:
        raise ValueError(f"show_gradient draws a gradient (C, H, W) or (H, W), got shape {g.shape}")
    if vmax is None:
        vmax = float(np.percentile(np.abs(g), clip)) or float(np.abs(g).max())
    return heatmap(ax, g, title, colorbar=colorbar, signed=True, vmax=vmax)
