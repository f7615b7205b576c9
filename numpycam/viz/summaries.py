"""The post's CAM and Grad-CAM summaries, term by term, drawn from the real numbers.

    fig = cam_summary_figure(model, x, c, k=4)        # f_k, times w_k^c, summed: L_CAM^c
    fig = grad_cam_summary_figure(model, x, c, k=4)   # dS^c/df_k, averaged: a_k^c, summed, ReLU

Every weight and map comes from ``nc.cam`` / ``nc.grad_cam`` with ``details=True`` (or the same
forward and backward pass); nothing is typed in by hand. Text that carries a weight also
carries a ``gid`` (``w:<k>``, ``a:<k>``), so tests can read the figure back and compare it with
the library.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from numpycam.methods.base import Explanation, feature_layer, one_hot, score_gradient, weighted_sum
from numpycam.methods.cam import cam
from numpycam.methods.grad_cam import grad_cam_weights
from numpycam.nn.sequential import Sequential
from numpycam.validate import model_inputs, positive_int
from numpycam.viz.architecture import check_sequential
from numpycam.viz.colour import colour_scale
from numpycam.viz.maps import heatmap, overlay, show_image

__all__ = ["cam_summary_figure", "grad_cam_summary_figure"]


def _one_image(model, x, c) -> tuple[np.ndarray, int]:
    check_sequential(model)
    arr = np.asarray(x)
    if arr.ndim != 4 or arr.shape[0] != 1:
        raise ValueError(f"x must be one image as a batch (1, C, H, W), got shape {arr.shape}; "
                         "for image n of a batch pass x[n:n + 1]")
    if isinstance(c, (bool, np.bool_)) or not isinstance(c, (int, np.integer)):
        raise TypeError(f"c must be one class index (an int), got {c!r}")
    if not 0 <= c < model.num_classes:
        raise ValueError(f"c = {c} is not a class of this model (0 .. {model.num_classes - 1})")
    return arr, int(c)


def _top_k(ex: Explanation, k) -> np.ndarray:
    """The k channels with the largest |weight_k F_k|: their share of the map's mean."""
    K = ex.f.shape[1]
    k = positive_int(k, "k")
    if k > K:
        raise ValueError(f"k = {k} maps asked for, but the layer {ex.layer!r} has only K = {K}")
    share = np.abs(ex.weights[0] * ex.f[0].mean(axis=(1, 2)))  # (K,)
    return np.argsort(-share, kind="stable")[:k]


def _summary_grid(k: int, cols: int, title: str):
    fig = Figure(figsize=(2.1 * cols, 1.9 * k + 0.9), layout="constrained")
    FigureCanvasAgg(fig)
    fig.suptitle(title, fontsize=11, fontweight="bold")
    return fig, fig.add_gridspec(k, cols)


def _column(fig, gs, col: int, maps, titles, *, signed: bool = False, gids=None,
            plus: bool = False):
    """One map per row, all on one colour scale, with one colour bar for the column: diverging
    if ``signed`` (a signed quantity: gradients, weighted maps) or any map is negative, else
    sequential from 0."""
    _, lo, hi = colour_scale(maps, signed=True if signed else None)  # one scale, all rows
    axes, im = [], None
    for r, m in enumerate(maps):
        ax = fig.add_subplot(gs[r, col])
        im = heatmap(ax, m, None, colorbar=False, signed=lo < 0, vmin=lo, vmax=hi)
        ax.set_title(titles[r], fontsize=9, gid=None if gids is None else gids[r])
        if plus and r:
            ax.set_ylabel("+", fontsize=16, rotation=0, labelpad=10, va="center")
        axes.append(ax)
    fig.colorbar(im, ax=axes, fraction=0.05, pad=0.02, shrink=0.8)
    return axes


def _tall(fig, gs, col: int, rows=slice(None)):
    return fig.add_subplot(gs[rows, col])


def _class(c: int, class_names) -> str:
    return f"class {c}" if class_names is None else f"class {c} ({class_names[c]})"


def cam_summary_figure(model: Sequential, x, c: int, *, k: int = 4, class_names=None) -> Figure:
    """The post's CAM summary: L_CAM^c(i, j) = sum_k w_k^c f_k(i, j), term by term.

    x is one image (1, C, H, W), c a class. Shown: the k of the K maps f_k with the largest
    |w_k^c F_k| (their share of the map's mean), each times w_k^c; the sum L_CAM is over ALL
    K maps; last, L_CAM upsampled over the image. Numbers from ``nc.cam(..., details=True)``.
    ``class_names`` (e.g. ``numpycam.data.CLASSES``) names c in the title.
    """
    x, c = _one_image(model, x, c)
    ex = cam(model, x, c, details=True)
    top = _top_k(ex, k)
    K = ex.f.shape[1]
    b = float(model.layers[-1].b[c])
    fig, gs = _summary_grid(len(top), 5, f"CAM of {_class(c, class_names)}:  L_CAM = Σ_k w_k^c f_k  (all K = {K}"
                            f" maps; shown: the {len(top)} with the largest |w_k^c F_k|)")
    show_image(_tall(fig, gs, 0), x[0], f"input, S^{c} = {ex.scores[0, c]:.3g}")
    _column(fig, gs, 1, ex.f[0, top], [f"$f_{{{j}}}$  ($F_{{{j}}}$ = {ex.f[0, j].mean():.3g})"
                                       for j in top])
    axes = _column(fig, gs, 2, ex.weighted[0, top],
                   [f"× $w_{{{j}}}^{{c}}$ = {ex.weights[0, j]:+.3g}" for j in top],
                   signed=True, gids=[f"w:{j}" for j in top], plus=True)
    if K > len(top):
        axes[-1].set_xlabel(f"+ the other {K - len(top)} maps", fontsize=9)
    ax = _tall(fig, gs, 3)
    heatmap(ax, ex.maps[0], f"= L_CAM (sum of all {K})", signed=True)
    ax.set_xlabel(f"mean {ex.maps[0].mean():.4g} + $b_c$ ({b:+.3g})\n= $S^c$ = "
                  f"{ex.scores[0, c]:.4g}", fontsize=8.5)
    overlay(_tall(fig, gs, 4), x[0], ex.maps[0], "upsampled over the image")
    return fig


def grad_cam_summary_figure(model: Sequential, x, c: int, layer=None, *, k: int = 4,
                            class_names=None) -> Figure:
    """The post's Grad-CAM summary: a_k^c = (1/Z) sum_ij dS^c/df_k(i, j),
    L = ReLU(sum_k a_k^c f_k(i, j)), term by term.

    x is one image (1, C, H, W), c a class, ``layer`` as in ``nc.grad_cam`` (default: the
    last 4-D map). Shown: the k channels with the largest |a_k^c F_k|, their gradient maps,
    the average a_k^c, f_k and a_k^c f_k; the sum is over ALL K, then the ReLU, then the map
    upsampled over the image. Numbers computed as ``nc.grad_cam(..., details=True)`` computes
    them (its forward and backward pass, done once here to keep the gradient maps too).
    ``class_names`` names c in the title.
    """
    x, c = _one_image(model, x, c)
    x, _ = model_inputs(model, x, c)  # float images of the model's dtype, as nc.grad_cam takes them
    # one forward and one backward pass give f and g = dS^c/df, as inside nc.grad_cam
    i = feature_layer(model, layer)
    scores, f, g = score_gradient(model, x, one_hot(np.array([c]), model.num_classes), i)
    a = grad_cam_weights(f, g)  # (1, K): a_k^c
    L = np.maximum(weighted_sum(f, a), 0)  # (1, h, w): ReLU(sum_k a_k^c f_k)
    ex = Explanation(L, f, a, scores, np.array([c]), model.layers[i].name)
    top = _top_k(ex, k)
    K, n = ex.f.shape[1], len(top)
    fig, gs = _summary_grid(n, 7, f"Grad-CAM of {_class(c, class_names)} at {ex.layer!r}:  a_k^c = mean of "
                            f"dS^c/df_k,  L = ReLU(Σ_k a_k^c f_k)  (all K = {K}; shown: the {n} "
                            "with the largest |a_k^c F_k|)")
    show_image(_tall(fig, gs, 0), x[0], f"input, S^{c} = {ex.scores[0, c]:.3g}")
    _column(fig, gs, 1, g[0, top], [f"$∂S^c/∂f_{{{j}}}$\nmean: $a_{{{j}}}^c$ = "
                                    f"{ex.weights[0, j]:+.3g}" for j in top],
            signed=True, gids=[f"a:{j}" for j in top])
    _column(fig, gs, 2, ex.f[0, top], [f"$f_{{{j}}}$" for j in top])
    axes = _column(fig, gs, 3, ex.weighted[0, top], [f"$a_{{{j}}}^c f_{{{j}}}$" for j in top],
                   signed=True, plus=True)
    if K > n:
        axes[-1].set_xlabel(f"+ the other {K - n} maps", fontsize=9)
    total = ex.weighted[0].sum(axis=0)  # (h, w): the sum before the ReLU
    heatmap(_tall(fig, gs, 4), total, f"= Σ over all {K}", signed=True)
    heatmap(_tall(fig, gs, 5), ex.maps[0], "ReLU(Σ) = Grad-CAM", vmin=0.0)
    overlay(_tall(fig, gs, 6), x[0], ex.maps[0], "upsampled over the image")
    return fig
