"""Figures for the lessons and the demo: the only module of numpycam that imports matplotlib.

Figures are built as ``matplotlib.figure.Figure`` objects with an Agg canvas attached, so
nothing here touches pyplot or the global backend: it works headless, inside a notebook and
beside any backend the user has chosen.

    fig, axes = figure_grid(2, 3)           # axes is always a 2-D array (rows, cols)
    show_image(axes[0, 0], x[0], "input")    # (C, H, W) or (H, W, C), float [0, 1] or uint8
    heatmap(axes[0, 1], L[0], "CAM")         # one map (h, w), with a colour bar
    overlay(axes[0, 2], x[0], L[0])          # the map upsampled and laid on the grey image
    draw_box(axes[0, 2], box, label="truth") # (x0, y0, x1, y1), exclusive ends
    save(fig, figures_dir() / "05_cam.png")  # creates folders, returns the path

Colour tells the truth, the same way in every figure of the package:

- a map that can be negative (CAM before its ReLU, a weighted map w_k^c f_k, a gradient, a
  difference) is drawn in :data:`DIVERGING`: 0 is its white middle, red positive, blue negative,
  limits -v .. v (one scale both sides) and a colour bar;
- a map that is never negative (Grad-CAM, a ReLU'd CAM, a normalised map, f_k after a ReLU) is
  drawn in :data:`SEQUENTIAL`, perceptually uniform, from 0 (black) up;
- an overlay lays the map on the image's grey version with an opacity that grows with |value|:
  where the map is 0 the grey image shows unchanged, so the background never changes colour from
  image to image, and every colour seen is the map's;
- rainbow maps (jet and its kin) are never used: their bright bands invent edges.

:func:`colour_scale` is that rule for one map; :func:`heatmap`, :func:`overlay` and
:func:`show_gradient` follow it, and so do the other viz_* modules.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from numpycam.methods.postprocess import upsample
from numpycam.viz.plots import curve, scatter, text_panel  # plain plots, kept importable from here

SEQUENTIAL = "inferno"  # maps that are never negative: 0 black, the maximum pale yellow
DIVERGING = "RdBu_r"    # signed maps: 0 white, positive red, negative blue
CMAP = SEQUENTIAL       # the old name of the one map, kept for code that imports it
TRUTH, PREDICTED = "lime", "white"  # box colours: ground truth, box read off a map

__all__ = ["CMAP", "DIVERGING", "SEQUENTIAL", "as_rgb", "bars", "colour_scale", "curve", "draw_box",
           "figure_grid", "figures_dir", "heatmap", "overlay", "save", "scatter", "show_gradient",
           "show_image", "text_panel"]


def figure_grid(rows: int, cols: int, *, size: float = 2.6, title: str | None = None,
                width_ratios=None, height: float | None = None):
    """A Figure with rows x cols axes (always a 2-D array), each about ``size`` inches square
    (or ``size`` wide and ``height`` high)."""
    height = size if height is None else height
    fig = Figure(figsize=(cols * size * 1.12, rows * height + (0.4 if title else 0)),
                 layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False, gridspec_kw={"width_ratios": width_ratios})
    if title:
        fig.suptitle(title, fontsize=12, fontweight="bold")
    return fig, axes


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


def colour_scale(m, *, signed: bool | None = None, vmin=None, vmax=None) -> tuple[str, float, float]:
    """The colour map and limits the house rule gives map m: (name, lo, hi).

    ``signed=None`` decides from the data: m is signed if it has a negative value or ``vmin < 0``.
    Signed: (DIVERGING, -v, v), v = max(|vmin|, |vmax|) of those given, else (or if that is 0)
    max |m|; so a signed map given vmin=0 still shows its negative half.
    Not signed: (SEQUENTIAL, vmin or 0, vmax or max m). A constant 0 map gets v = 1.
    """
    m = np.asarray(m, dtype=np.float64)
    finite = m[np.isfinite(m)]
    low = float(finite.min()) if finite.size else 0.0
    if signed is None:
        signed = low < 0 or (vmin is not None and vmin < 0)
    if signed:
        v = max(abs(float(v)) for v in (vmin, vmax, 0.0) if v is not None)  # 0: none given
        v = v or float(np.abs(finite).max(initial=0.0)) or 1.0
        return DIVERGING, -v, v
    if low < 0 or (vmin is not None and vmin < 0):
        raise ValueError(f"signed=False, but the map goes below 0 (min {min(low, vmin or 0):.3g}): "
                         "a sequential scale from 0 would hide that. Leave signed=None to draw "
                         "it diverging, or pass np.maximum(m, 0) to draw its positive part.")
    lo = 0.0 if vmin is None else float(vmin)
    hi = float(finite.max(initial=lo)) if vmax is None else float(vmax)
    return SEQUENTIAL, lo, hi if hi > lo else lo + 1.0


def _colorbar(ax, mappable, m, lo, hi, label=None):
    """A colour bar beside ax; arrows at the ends the map's values run past."""
    m = np.asarray(m)
    extend = {(False, False): "neither", (True, False): "min", (False, True): "max",
              (True, True): "both"}[bool((m < lo).any()), bool((m > hi).any())]
    return ax.figure.colorbar(mappable, ax=ax, fraction=0.046, pad=0.03, extend=extend, label=label)


def heatmap(ax, m, title: str | None = None, *, colorbar: bool = True, signed: bool | None = None,
            vmin=None, vmax=None, annotate: bool = False, fmt: str = "{:.2g}",
            xlabels=None, ylabels=None):
    """Draw one map (h, w) at its own resolution (no smoothing), coloured by :func:`colour_scale`.

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
        _colorbar(ax, im, m, lo, hi)
    _clean(ax, title)
    if xlabels is not None:
        ax.set_xticks(np.arange(m.shape[1]), xlabels, fontsize=7)
    if ylabels is not None:
        ax.set_yticks(np.arange(m.shape[0]), ylabels, fontsize=7)
    return im


def overlay(ax, img, m, title: str | None = None, *, alpha: float = 0.75, colorbar: bool = True,
            vmin=None, vmax=None, signed: bool | None = None, positive: bool = False,
            grey: bool = True):
    """The map upsampled (bilinear) to the image size and laid over the image's grey version,
    each pixel's opacity following the map's value there.

        u = upsample(m),   t = |u| / v   (clipped to [0, 1])
        pixel = (1 - a) grey(image) + a colour(u),   a = alpha * t

    v is the top of :func:`colour_scale` (max |m| unless ``vmax`` is given: give the same vmax
    to several overlays to put them on one scale). Where the map is 0 the image shows unchanged,
    so the background looks the same in every figure (a min-max stretch tints it differently in
    each), and, the image being grey, every colour seen is the map's. A map that is never
    negative is coloured SEQUENTIAL; a signed one DIVERGING, positive red and negative blue,
    both fading out at 0; ``positive=True`` draws only max(m, 0). ``grey=False`` keeps the
    image's own colours underneath. Returns the ScalarMappable of the colour bar.
    """
    rgb = as_rgb(img)
    if grey:
        rgb = np.repeat((rgb @ np.array([0.299, 0.587, 0.114]))[..., None], 3, axis=2)  # (H, W, 3)
    up = upsample(np.asarray(m, dtype=np.float64), rgb.shape[:2])  # (H, W)
    if positive:
        up = np.maximum(up, 0.0)
    cmap, lo, hi = colour_scale(up, signed=signed, vmin=vmin, vmax=vmax)
    norm = Normalize(lo, hi)
    colour = colormaps[cmap](norm(up))  # (H, W, 4)
    t = np.abs(up) / hi if cmap == DIVERGING else (up - lo) / (hi - lo)
    colour[..., 3] = alpha * np.clip(np.nan_to_num(t), 0.0, 1.0)
    ax.imshow(rgb, interpolation="nearest")
    ax.imshow(colour, interpolation="nearest")
    sm = ScalarMappable(norm, cmap)
    if colorbar:
        _colorbar(ax, sm, up, lo, hi)
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


def bars(ax, values, labels=None, title: str | None = None, *, ylabel: str | None = None,
         highlight=None, top: int | None = None) -> np.ndarray:
    """A bar chart of a vector, e.g. the K GAP outputs F_k or the weights a_k^c.

    Red bars (the rest grey) are picked by the values drawn: ``top=n``, or ``highlight="top<n>"``,
    marks the n largest |values|, so what is red is what the axis shows to be large.
    ``highlight=indices`` marks those indices as given (older code): the chart cannot check what
    picked them, so the title must say. Returns the highlighted indices.
    """
    values = np.asarray(values, dtype=np.float64).ravel()
    if isinstance(highlight, str):
        if not (highlight.startswith("top") and highlight[3:].isdigit()):
            raise ValueError(f"highlight={highlight!r}: give 'top<n>' (e.g. 'top5'), top=n or indices")
        top = int(highlight[3:])
    if top is not None:
        picked = np.argsort(-np.abs(values), kind="stable")[:top]
    else:
        picked = np.asarray(highlight if highlight is not None else [], dtype=int).ravel()
    colors = np.where(np.isin(np.arange(len(values)), picked), "tab:red", "tab:gray")
    ax.bar(np.arange(len(values)), values, color=colors)
    ax.axhline(0, color="black", linewidth=0.6)
    if labels is not None:
        ax.set_xticks(np.arange(len(values)), labels, fontsize=7,
                      rotation=0 if len(values) <= 8 else 90)
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=7)
    if title:
        ax.set_title(title, fontsize=9)
    return picked


def figures_dir() -> Path:
    """Where figures go: $NUMPYCAM_FIGURES if set, else ``figures/`` of the repository.

    The repository is the working directory, or its parent when that is ``lessons/`` (a lesson
    opened as a notebook runs there).
    """
    env = os.environ.get("NUMPYCAM_FIGURES")
    if env:
        return Path(env)
    cwd = Path.cwd()
    return (cwd.parent if cwd.name == "lessons" else cwd) / "figures"


def save(fig, path, *, dpi: int = 110) -> Path:
    """Write ``fig`` as an image (format from the suffix), creating folders; returns the path.

    Inside a Jupyter kernel the saved PNG is also shown under the cell (see :func:`show_saved`);
    run as a script, only the file is written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    show_saved(path)
    return path


def show_saved(path) -> bool:
    """Show a saved PNG inline when running in a Jupyter kernel; True if it was shown.

    The output is the file's own bytes (``image/png``), so the notebook shows exactly what was
    saved, whatever matplotlib backend is active. Its metadata ``numpycam_figure`` names the
    file, which is how ``numpycam site`` links the page's image to ``figures/``.
    """
    path = Path(path)
    if "ipykernel" not in sys.modules or path.suffix.lower() != ".png":
        return False
    from IPython import get_ipython  # only reached inside a kernel, where IPython is loaded
    from IPython.display import Image, display

    if get_ipython() is None or not hasattr(get_ipython(), "kernel"):
        return False
    display(Image(data=path.read_bytes(), format="png"), metadata={"numpycam_figure": path.name})
    return True
