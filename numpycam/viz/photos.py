"""Figures of photos explained by the ImageNet network (``numpycam explain``, lesson 14).

Colours follow the package's rule (see :mod:`numpycam.viz.colour`): a map that is never negative
(Grad-CAM, the positive part of CAM) in :data:`SEQUENTIAL`, a signed map (raw CAM, a gradient)
in :data:`DIVERGING` centred at zero. An overlay divides the map by its own maximum and draws
each pixel with opacity proportional to that value, so a pixel where the map is 0 shows the
photo untouched: the background never changes colour from photo to photo."""

from __future__ import annotations

import re
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from numpycam.evaluation.localize import box_from_map
from numpycam.methods.registry import METHODS
from numpycam.viz.colour import DIVERGING, SEQUENTIAL, fraction_colorbar
from numpycam.viz.figure import save
from numpycam.viz.maps import draw_box, heatmap, overlay, show_gradient, show_image

__all__ = ["DIVERGING", "SEQUENTIAL", "explain_figure", "map_overlay", "save_explanations",
           "signed_map", "slug", "title_of"]


def title_of(method: str) -> str:
    """How figures print a method: its label in numpycam.methods.registry.METHODS ('Grad-CAM'),
    or the name itself if the registry does not know it."""
    return METHODS[method].label if method in METHODS else method


def slug(text: str) -> str:
    """A class name as a file-name part: 'tiger cat' -> 'tiger_cat'."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "class"


def map_overlay(ax, image, m, title: str | None = None, *, colorbar: bool = True, max_alpha: float = 0.75):
    """The positive part of map m, upsampled to the image and laid over it.

        v = max(m, 0) / max(m)     (0 everywhere if max(m) <= 0)
        pixel = (1 - a) photo + a colour(v),   a = max_alpha * v

    The colour bar reads "fraction of this map's maximum".
    """
    overlay(ax, image, m, title, alpha=max_alpha, colorbar=False, positive=True, grey=False)
    if colorbar:
        fraction_colorbar(ax.figure, ax=ax, label="/ map maximum", fraction=0.046, pad=0.03)


def signed_map(ax, m, title: str | None = None):
    """A signed map (h, w) at its own resolution, diverging colours with 0 in the middle."""
    return heatmap(ax, m, title, signed=True)


def explain_figure(result, i: int, *, box=None):
    """The post's figure-21 layout for class ``result.classes[i]``, plus the comparison map.

    Columns: the photo the network saw (the 224 x 224 centre crop) | guided backprop |
    the method's map | guided backprop x that map (Guided Grad-CAM for Grad-CAM) | CAM
    (Grad-CAM when the method is CAM). ``box`` (x0, y0, x1, y1) in crop pixels is drawn on the
    photo and on both maps, with the box read off the map (20 % of its maximum) in white.
    """
    k, name, p = result.classes[i]
    method, second = title_of(result.method), title_of(result.second_method)
    rank = next((r for r, (j, _, _) in enumerate(result.top, 1) if j == k), None)
    head = f"class {k} '{name}', p = {p:.3f}" + (f" (#{rank})" if rank else "")
    # a fixed layout (no constrained layout): the figure is drawn in a fraction of the time
    fig = Figure(figsize=(15.5, 3.4))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 5, squeeze=False)
    # the two gradient panels carry their own colour bars, hence the space between panels
    fig.subplots_adjust(left=0.005, right=0.935, bottom=0.02, top=0.80, wspace=0.30)
    fig.suptitle(head, fontsize=12, fontweight="bold")
    cax = fig.add_axes((0.945, 0.06, 0.009, 0.68))
    fraction_colorbar(fig, cax=cax, label="map / its maximum")
    ax = axes[0]
    show_image(ax[0], result.crop, "photo (224 x 224 crop)")
    show_gradient(ax[1], result.guided[i], "guided backprop")
    h, w = result.maps[i].shape
    map_overlay(ax[2], result.crop, result.maps[i], f"{method} ({result.layer}, {h} x {w})", colorbar=False)
    guided_name = "Guided Grad-CAM" if result.method == "grad_cam" else f"guided bp x {method}"
    show_gradient(ax[3], result.guided_map[i], guided_name)
    map_overlay(ax[4], result.crop, result.second[i], f"{second} (positive part)", colorbar=False)
    size = result.crop.shape[:2]
    for a, m in ((ax[2], result.maps[i]), (ax[4], result.second[i])):
        if m.max() > 0:
            draw_box(a, box_from_map(m, size=size), color="white")
    if box is not None:
        for a in (ax[0], ax[2], ax[4]):
            draw_box(a, box)
    return fig


def save_explanations(result, out, stem: str, first: int = 1) -> list[Path]:
    """One :func:`explain_figure` per explained class of ``result``, saved in ``out`` as
    ``<stem>_<number>_<class>.png``, numbered from ``first`` (what ``numpycam explain`` writes,
    one class at a time); the paths."""
    return [save(explain_figure(result, i), Path(out) / f"{slug(stem)}_{first + i}_{slug(name)}.png")
            for i, (_, name, _) in enumerate(result.classes)]
