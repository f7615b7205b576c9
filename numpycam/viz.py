"""Figures for the lessons and the demo: the only module of numpycam that imports matplotlib.

Figures are built as ``matplotlib.figure.Figure`` objects with an Agg canvas attached, so
nothing here touches pyplot or the global backend: it works headless, inside a notebook and
beside any backend the user has chosen.

    fig, axes = figure_grid(2, 3)           # axes is always a 2-D array (rows, cols)
    show_image(axes[0, 0], x[0], "input")    # (C, H, W) or (H, W, C), float [0, 1] or uint8
    heatmap(axes[0, 1], L[0], "CAM")         # one map (h, w), with a colour bar
    overlay(axes[0, 2], x[0], L[0])          # the map upsampled, normalised and laid on top
    draw_box(axes[0, 2], box, label="truth") # (x0, y0, x1, y1), exclusive ends
    save(fig, figures_dir() / "05_cam.png")  # creates folders, returns the path

One colour map everywhere, :data:`CMAP` ("jet", the look of the CAM and Grad-CAM papers):
red is high, blue is low. Signed maps (before a ReLU, or gradients) are drawn with limits
symmetric about zero, so zero is always the middle of the bar.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from numpycam.maps import normalize, upsample

CMAP = "jet"
TRUTH, PREDICTED = "lime", "white"  # box colours: ground truth, box read off a map

__all__ = ["CMAP", "as_rgb", "bars", "curve", "draw_box", "figure_grid", "figures_dir", "heatmap",
           "overlay", "save", "scatter", "show_gradient", "show_image", "text_panel"]


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


def heatmap(ax, m, title: str | None = None, *, colorbar: bool = True, signed: bool = False,
            vmin=None, vmax=None, annotate: bool = False, fmt: str = "{:.2g}",
            xlabels=None, ylabels=None):
    """Draw one map (h, w) in :data:`CMAP` at its own resolution (no smoothing).

    ``signed=True`` centres the colour limits on zero; ``annotate=True`` writes every value in
    its cell (for small maps, e.g. a toy feature map or a weight matrix); ``xlabels`` /
    ``ylabels`` name the columns / rows.
    """
    m = np.asarray(m, dtype=np.float64)
    if m.ndim != 2:
        raise ValueError(f"heatmap draws one map (h, w), got shape {m.shape}")
    if signed and vmin is None and vmax is None:
        vmax = float(np.abs(m).max()) or 1.0
        vmin = -vmax
    im = ax.imshow(m, cmap=CMAP, vmin=vmin, vmax=vmax, interpolation="nearest")
    if annotate:
        lo, hi = im.get_clim()
        for (i, j), v in np.ndenumerate(m):
            t = (v - lo) / (hi - lo) if hi > lo else 0.5
            ax.text(j, i, fmt.format(v + 0.0), ha="center", va="center", fontsize=8,  # no "-0"
                    color="white" if t < 0.2 or t > 0.8 else "black", fontweight="bold")
    if colorbar:
        ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.03)
    _clean(ax, title)
    if xlabels is not None:
        ax.set_xticks(np.arange(m.shape[1]), xlabels, fontsize=7)
    if ylabels is not None:
        ax.set_yticks(np.arange(m.shape[0]), ylabels, fontsize=7)
    return im


def overlay(ax, img, m, title: str | None = None, *, alpha: float = 0.45,
            colorbar: bool = True, vmin=None, vmax=None):
    """The map upsampled (bilinear) to the image size and drawn over it with opacity ``alpha``.

    By default the map is min-max normalised to [0, 1] first (the colour bar then reads
    "fraction of this map's range"). Give ``vmin``/``vmax`` to keep its values instead, e.g.
    one shared scale for maps that are to be compared.
    """
    rgb = as_rgb(img)
    up = upsample(np.asarray(m, dtype=np.float64), rgb.shape[:2])  # (H, W)
    if vmin is None and vmax is None:
        up, vmin, vmax = normalize(up), 0.0, 1.0
    ax.imshow(rgb, interpolation="nearest")
    im = ax.imshow(up, cmap=CMAP, alpha=alpha, vmin=vmin, vmax=vmax, interpolation="nearest")
    if colorbar:
        ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.03)
    _clean(ax, title)
    return im


def draw_box(ax, box, color: str = TRUTH, label: str | None = None, *, linewidth: float = 1.8):
    """Outline box (x0, y0, x1, y1) with exclusive ends, in pixel coordinates of the image."""
    x0, y0, x1, y1 = (float(v) for v in box)
    # pixel j covers [j - 0.5, j + 0.5] in imshow coordinates, so the box spans x0-0.5 .. x1-0.5
    ax.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, edgecolor=color,
                           linewidth=linewidth))
    if label:
        ax.text(x0 - 0.5, y0 - 1.0, label, color="black", fontsize=7, va="bottom",
                bbox={"facecolor": color, "edgecolor": "none", "pad": 1, "alpha": 0.85})


def show_gradient(ax, g, title: str | None = None):
    """An input-space gradient (C, H, W) as an image: centred on 0, scaled by 3 std, grey = 0."""
    g = np.asarray(g, dtype=np.float64)
    std = g.std()
    g = 0.5 + (g - g.mean()) / (6 * std) if std > 0 else np.full_like(g, 0.5)
    show_image(ax, np.clip(g, 0, 1), title)


def bars(ax, values, labels=None, title: str | None = None, *, ylabel: str | None = None,
         highlight=None):
    """A bar chart of a vector, e.g. the K GAP outputs F_k or the weights a_k^c.

    ``highlight``: indices drawn in red (the rest in grey).
    """
    values = np.asarray(values, dtype=np.float64).ravel()
    colors = np.where(np.isin(np.arange(len(values)), highlight if highlight is not None else []),
                      "tab:red", "tab:gray")
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


def curve(ax, values, title: str | None = None, *, xlabel: str = "epoch",
          ylabel: str | None = None, ylim=None):
    """A line through ``values`` against 1, 2, ..., e.g. a loss per epoch (too many for bars)."""
    values = np.asarray(values, dtype=np.float64).ravel()
    ax.plot(np.arange(1, len(values) + 1), values, color="tab:blue", linewidth=1.2)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.grid(alpha=0.3)
    ax.set_xlabel(xlabel, fontsize=8)
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=7)
    if title:
        ax.set_title(title, fontsize=9)


def scatter(ax, x, y, title: str | None = None, *, xlabel: str = "", ylabel: str = "",
            slope: float | None = None, line_label: str | None = None):
    """Points (x, y); ``slope`` adds the line y = slope * x that they should lie on."""
    x, y = np.ravel(x), np.ravel(y)
    if slope is not None:
        xs = np.array([x.min(), x.max()])
        ax.plot(xs, slope * xs, color="tab:red", linewidth=1,
                label=line_label or f"y = {slope:.4g} x")
        ax.legend(fontsize=7, loc="upper left")
    ax.scatter(x, y, s=12, color="tab:blue", zorder=3)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=7)
    if title:
        ax.set_title(title, fontsize=9)


def text_panel(ax, text: str, title: str | None = None, *, color: str = "black",
               monospace: bool = False, fontsize: float = 8):
    """An empty panel carrying a message (why a method does not apply) or a small table."""
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", wrap=not monospace, fontsize=fontsize,
            color=color, transform=ax.transAxes, family="monospace" if monospace else None)
    if title:
        ax.set_title(title, fontsize=9)


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
