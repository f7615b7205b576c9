"""The post's architecture diagram, drawn by code from the real models.

    fig = architecture_figure({"conventional": nc.pretrained("fc"), "CAM": nc.pretrained("gap")})

Nothing here is typed in by hand: every shape written on a box's arrow comes from a forward pass
on a dummy input, every parameter count from the layers' arrays. The shape texts carry a ``gid``
(``shape:<model>:<layer>``), so tests can read the figure back and compare it with the library.
The CAM and Grad-CAM summaries are in :mod:`numpycam.viz.summaries`, the node-and-edge networks
in :mod:`numpycam.viz.network`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from numpycam.methods.base import feature_layer
from numpycam.nn.layers import Center, Conv2D, Dense, Flatten, GlobalAvgPool2D, MaxPool2D
from numpycam.nn.mobile import BatchNorm2D
from numpycam.nn.sequential import Sequential

__all__ = ["architecture_figure", "check_sequential", "shape_text"]

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


def check_sequential(model, what: str = "model") -> Sequential:
    """model itself if it is a numpycam Sequential, else a TypeError naming ``what``."""
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
        check_sequential(model, f"models[{title!r}]")
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
