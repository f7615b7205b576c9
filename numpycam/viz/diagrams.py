"""The post's diagrams, drawn by code from the real models and the real numbers.

    fig = architecture_figure({"conventional": nc.pretrained("fc"), "CAM": nc.pretrained("gap")})
    fig = cam_summary_figure(model, x, c, k=4)        # f_k, times w_k^c, summed: L_CAM^c
    fig = grad_cam_summary_figure(model, x, c, k=4)   # dS^c/df_k, averaged: a_k^c, summed, ReLU
    drawing = draw_network(ax, model, x, c=1, k=0)    # numpycam.viz.network: nodes and edges

Nothing here is typed in by hand: every shape written on the architecture comes from a forward
pass on a dummy input, every weight and map from ``nc.cam`` / ``nc.grad_cam`` with
``details=True``. Text that carries a number also carries a ``gid`` (``shape:<model>:<layer>``,
``w:<k>``, ``a:<k>``), so tests can read the figure back and compare it with the library.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from numpycam import viz
from numpycam.methods.base import Explanation, feature_layer, one_hot, score_gradient, weighted_sum
from numpycam.methods.cam import cam
from numpycam.methods.grad_cam import grad_cam_weights
from numpycam.nn.layers import Center, Conv2D, Dense, Flatten, GlobalAvgPool2D, MaxPool2D
from numpycam.nn.mobile import BatchNorm2D
from numpycam.nn.sequential import Sequential
from numpycam.validate import model_inputs, positive_int
from numpycam.viz.network import draw_network, network_figure

__all__ = ["architecture_figure", "cam_summary_figure", "draw_network", "grad_cam_summary_figure",
           "network_figure", "shape_text"]

BODY, HEAD = "#e8e8e8", "#ffe9b3"  # box fill: layers both networks could share / the class head


def shape_text(shape) -> str:
    """An activation shape with the batch size written as N: (1, 64, 16, 16) -> '(N, 64, 16, 16)'."""
    return "(" + ", ".join(["N", *(str(int(s)) for s in shape[1:])]) + ")"


def _describe(layer) -> str:
    """One short phrase per layer, from its configuration."""
    if isinstance(layer, Conv2D):
        k = layer.kernel_size
        return f"{layer.name} {k}×{k} conv, {layer.in_channels}→{layer.out_channels}"
    if isinstance(layer, Dense):
        return f"{layer.name} Dense {layer.in_features}→{layer.out_features}"
    if isinstance(layer, MaxPool2D):
        return f"max-pool {layer.size}×{layer.size}"
    if isinstance(layer, GlobalAvgPool2D):
        return f"{layer.name}: GAP, mean over (i, j)"
    if isinstance(layer, Flatten):
        return f"{layer.name}: one long vector"
    if isinstance(layer, BatchNorm2D):
        return "BatchNorm"
    if isinstance(layer, Center):
        return f"{layer.name}: image − its mean colour"
    return type(layer).__name__


def _groups(model: Sequential) -> list[list[int]]:
    """Layer indices grouped into boxes: a layer with weights (or GAP, Flatten, Center) opens a
    box; the layers after it that only rescale or select (BatchNorm, ReLU, pooling) join it."""
    opens = (Conv2D, Dense, GlobalAvgPool2D, Flatten, Center)
    groups: list[list[int]] = []
    for i, layer in enumerate(model.layers):
        joins = isinstance(layer, BatchNorm2D) or not layer.has_params()
        if not groups or isinstance(layer, opens) or not joins:
            groups.append([i])
        else:
            groups[-1].append(i)
    return groups


def _params(model: Sequential, idx) -> int:
    return sum(getattr(model.layers[i], p).size for i in idx for p in model.layers[i].param_names)


def _check_model(model, what: str = "model") -> Sequential:
    if not isinstance(model, Sequential):
        raise TypeError(f"{what} must be a numpycam Sequential, got {type(model).__name__}")
    return model


def architecture_figure(models: dict, input_shape=(3, 64, 64)) -> Figure:
    """Each model as a column of boxes, the activation shape after each box on its arrow.

    ``models`` maps a title to a Sequential; ``input_shape`` is (C, H, W) of one image. The
    shapes come from one forward pass of a zero batch (N = 1, written as N; in eval mode, and
    afterwards ``model.activation`` holds that pass). The head (the layers after the last 4-D
    map, where the two architectures differ) is shaded, with its parameter count.
    """
    if not isinstance(models, dict) or not models:
        raise TypeError("models must be a non-empty dict {title: Sequential}, e.g. "
                        "{'conventional': nc.pretrained('fc'), 'CAM': nc.pretrained('gap')}")
    shape = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else None
    if shape is None or len(shape) != 3 or not all(isinstance(s, (int, np.integer)) and s > 0
                                                    for s in shape):
        raise ValueError(f"input_shape must be (C, H, W) of one image, three positive ints; "
                         f"got {input_shape!r}")
    runs = []
    for title, model in models.items():
        _check_model(model, f"models[{title!r}]")
        if model.in_channels not in (None, shape[0]):
            raise ValueError(f"models[{title!r}] takes {model.in_channels}-channel images, but "
                             f"input_shape has {shape[0]} channels")
        training = model.training  # a dummy batch must not move BatchNorm's running averages
        model.eval().forward(np.zeros((1, *shape), dtype=model.dtype or np.float32))
        model.train(training)
        runs.append((title, model, _groups(model), feature_layer(model, None)))
    rows = max(len(g) for _, _, g, _ in runs) + 2  # + the input box and the scores
    fig = Figure(figsize=(4.8 * len(runs), 0.85 * rows + 0.8), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(runs), squeeze=False)[0]
    for ax, (title, model, groups, last_map) in zip(axes, runs, strict=True):
        ax.set_xlim(0, 1)
        ax.set_ylim(rows - 0.5, -0.4)
        ax.set_axis_off()
        ax.set_title(f"{title}\n{model.num_params():,} parameters", fontsize=10,
                     fontweight="bold")
        _box(ax, 0, "input image", BODY)
        _shape(ax, 0, (1, *shape), f"shape:{title}:input")
        for row, idx in enumerate(groups, start=1):
            parts = [_describe(model.layers[i]) for i in idx]
            n = _params(model, idx)
            _box(ax, row, " + ".join(parts), HEAD if idx[0] > last_map else BODY,
                 f"{n:,} params" if n else None)
            _shape(ax, row, model.activation(idx[-1]).shape,
                   f"shape:{title}:{model.layers[idx[-1]].name}")
            note = (f"$f_k$, K = {model.activation(last_map).shape[1]}" if idx[-1] == last_map
                    else "$F_k$" if isinstance(model.layers[idx[-1]], GlobalAvgPool2D) else None)
            if note:
                ax.text(0.8, row + 0.5, note, ha="left", va="center", fontsize=9)
        for row in range(len(groups) + 1):
            ax.annotate("", (0.5, row + 0.73), (0.5, row + 0.27),
                        arrowprops={"arrowstyle": "-|>", "color": "0.3", "lw": 1.2})
        head = [i for g in groups for i in g if i > last_map]
        kinds = [_KIND.get(type(model.layers[i]), type(model.layers[i]).__name__) for i in head
                 if model.layers[i].has_params() or type(model.layers[i]) in _KIND]
        gap = isinstance(model.layers[-2], GlobalAvgPool2D) and isinstance(model.layers[-1], Dense)
        out = r"$S^c = \sum_k w_k^c F_k + b_c$" if gap else "$S^c$, the class scores"
        ax.text(0.5, len(groups) + 1, f"{out}\nhead = {' + '.join(kinds)}: "
                f"{_params(model, head):,} parameters", ha="center", va="center", fontsize=9,
                bbox={"facecolor": HEAD, "edgecolor": "0.4", "boxstyle": "round,pad=0.35"})
    return fig


_KIND = {Dense: "Dense", Flatten: "Flatten", GlobalAvgPool2D: "GAP"}


def _box(ax, row: int, text: str, color: str, note: str | None = None) -> None:
    ax.add_patch(FancyBboxPatch((0.06, row - 0.27), 0.88, 0.54, boxstyle="round,pad=0.01",
                                facecolor=color, edgecolor="0.35", lw=1))
    ax.text(0.5, row - (0.07 if note else 0), text, ha="center", va="center", fontsize=8.5)
    if note:
        ax.text(0.5, row + 0.15, note, ha="center", va="center", fontsize=7.5, color="0.3")


def _shape(ax, row: int, shape, gid: str) -> None:
    ax.text(0.53, row + 0.5, shape_text(shape), ha="left", va="center", fontsize=8.5,
            family="monospace", color="tab:blue", gid=gid)


# -- the CAM and Grad-CAM summaries ---------------------------------------------------------
def _one_image(model, x, c) -> tuple[np.ndarray, int]:
    _check_model(model)
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
    _, lo, hi = viz.colour_scale(maps, signed=True if signed else None)  # one scale, all rows
    axes, im = [], None
    for r, m in enumerate(maps):
        ax = fig.add_subplot(gs[r, col])
        im = viz.heatmap(ax, m, None, colorbar=False, signed=lo < 0, vmin=lo, vmax=hi)
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
    viz.show_image(_tall(fig, gs, 0), x[0], f"input, S^{c} = {ex.scores[0, c]:.3g}")
    _column(fig, gs, 1, ex.f[0, top], [f"$f_{{{j}}}$  ($F_{{{j}}}$ = {ex.f[0, j].mean():.3g})"
                                       for j in top])
    axes = _column(fig, gs, 2, ex.weighted[0, top],
                   [f"× $w_{{{j}}}^{{c}}$ = {ex.weights[0, j]:+.3g}" for j in top],
                   signed=True, gids=[f"w:{j}" for j in top], plus=True)
    if K > len(top):
        axes[-1].set_xlabel(f"+ the other {K - len(top)} maps", fontsize=9)
    ax = _tall(fig, gs, 3)
    viz.heatmap(ax, ex.maps[0], f"= L_CAM (sum of all {K})", signed=True)
    ax.set_xlabel(f"mean {ex.maps[0].mean():.4g} + $b_c$ ({b:+.3g})\n= $S^c$ = "
                  f"{ex.scores[0, c]:.4g}", fontsize=8.5)
    viz.overlay(_tall(fig, gs, 4), x[0], ex.maps[0], "upsampled over the image")
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
    viz.show_image(_tall(fig, gs, 0), x[0], f"input, S^{c} = {ex.scores[0, c]:.3g}")
    _column(fig, gs, 1, g[0, top], [f"$∂S^c/∂f_{{{j}}}$\nmean: $a_{{{j}}}^c$ = "
                                    f"{ex.weights[0, j]:+.3g}" for j in top],
            signed=True, gids=[f"a:{j}" for j in top])
    _column(fig, gs, 2, ex.f[0, top], [f"$f_{{{j}}}$" for j in top])
    axes = _column(fig, gs, 3, ex.weighted[0, top], [f"$a_{{{j}}}^c f_{{{j}}}$" for j in top],
                   signed=True, plus=True)
    if K > n:
        axes[-1].set_xlabel(f"+ the other {K - n} maps", fontsize=9)
    total = ex.weighted[0].sum(axis=0)  # (h, w): the sum before the ReLU
    viz.heatmap(_tall(fig, gs, 4), total, f"= Σ over all {K}", signed=True)
    viz.heatmap(_tall(fig, gs, 5), ex.maps[0], "ReLU(Σ) = Grad-CAM", vmin=0.0)
    viz.overlay(_tall(fig, gs, 6), x[0], ex.maps[0], "upsampled over the image")
    return fig
