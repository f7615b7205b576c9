"""Small fully connected networks drawn as nodes and edges: the gradient as influence.

    drawing = draw_network(ax, model, x, c=1, k=0)   # model: Dense and ReLU layers only
    drawing.gradient                                 # sum over paths k -> c of the weight products
    fig = network_figure({"no hidden layer": linear, "one hidden layer": mlp}, x, c=1, k=0)

Inputs x_k on the left, hidden units in the middle, the class scores S^c on the right. Every
edge is a weight W[i, j] of a Dense layer (from node j to node i), coloured by its sign
(:data:`POSITIVE`, :data:`NEGATIVE`, the two ends of the diverging colour map) and as thick as
|W[i, j]| / max |W|. With ``c`` and ``k`` the paths from x_k to S^c are drawn on top, their
weights written on them, and the products along each path listed: with a hidden ReLU that is
off for this x (z_h <= 0) a path carries nothing and is drawn dashed. The sum of the products
is dS^c/dx_k, which a lesson then checks against backprop and finite differences.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from numpycam.nn.layers import Dense, ReLU
from numpycam.nn.sequential import Sequential
from numpycam.viz.colour import DIVERGING

_CMAP = matplotlib.colormaps[DIVERGING]
POSITIVE, NEGATIVE = _CMAP(0.88), _CMAP(0.12)  # edge colours: weight > 0, weight < 0
OFF = "0.75"  # a hidden unit whose ReLU is off for this input

__all__ = ["NEGATIVE", "POSITIVE", "NetworkDrawing", "draw_network", "legend", "network_figure"]


class NetworkDrawing(NamedTuple):
    """What :func:`draw_network` drew.

    edges: (layer l, to node i, from node j) -> its Line2D, for W = the l-th Dense's W.
    highlighted: the edges on the paths from x_k to S^c (empty without c and k).
    paths: (hidden nodes along the path, product of its weights, open) for every path k -> c;
    ``open`` is False when a ReLU on it is off. gradient: the sum of the open paths' products,
    dS^c/dx_k (None without c and k).
    """

    edges: dict
    highlighted: list
    paths: list
    gradient: float | None


def _dense_layers(model) -> tuple[list[np.ndarray], list[bool]]:
    """(W of each Dense, whether a ReLU follows it), or a ValueError naming the odd layer."""
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a numpycam Sequential, got {type(model).__name__}")
    Ws, relu = [], []
    for layer in model.layers:
        if isinstance(layer, Dense):
            Ws.append(np.asarray(layer.W, dtype=np.float64))
            relu.append(False)
        elif isinstance(layer, ReLU) and Ws and not relu[-1]:
            relu[-1] = True
        else:
            raise ValueError(f"draw_network draws Dense layers, each followed by at most one "
                             f"ReLU; layer {layer.name!r} ({type(layer).__name__}) does not fit "
                             f"(layers: {model.names})")
    if len(Ws) > 3 or max(max(W.shape) for W in Ws) > 12:
        raise ValueError("draw_network is for small networks (at most 3 Dense layers of at most "
                         "12 units); a drawing of more edges cannot be read")
    return Ws, relu


def _index(value, n: int, name: str, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int ({what}), got {value!r}")
    if not 0 <= value < n:
        raise ValueError(f"{name} = {value} is out of range: {what} are 0 .. {n - 1}")
    return int(value)


def draw_network(ax, model: Sequential, x=None, *, c: int | None = None, k: int | None = None,
                 title: str | None = None, numbers: bool = True) -> NetworkDrawing:
    """Draw a Sequential of Dense (+ ReLU) layers on ``ax``; highlight the paths x_k -> S^c.

    ``x`` (K,) or (1, K), optional: one input; its values are written in the input nodes, the
    scores in the output nodes, and hidden units whose ReLU is off are greyed out (their paths
    dashed). ``c`` and ``k`` (both or neither) pick the output and the input. ``numbers``
    writes the highlighted weights and the path products.
    """
    Ws, relu = _dense_layers(model)
    sizes = [Ws[0].shape[1]] + [W.shape[0] for W in Ws]  # nodes per column
    if (c is None) != (k is None):
        raise ValueError("give both c (the output S^c) and k (the input x_k), or neither")
    k = _index(k, sizes[0], "k", "the inputs x_k")
    c = _index(c, sizes[-1], "c", "the classes")
    active = [np.ones(n, bool) for n in sizes]
    values = [None] * len(sizes)
    if x is not None:
        x = np.asarray(x, dtype=np.float64).reshape(1, -1)
        if x.shape[1] != sizes[0]:
            raise ValueError(f"x has {x.shape[1]} values, the network takes {sizes[0]} inputs")
        values[-1] = model.forward(x.astype(model.dtype))[0]
        values[0] = x[0]
        dense = [lay for lay in model.layers if isinstance(lay, Dense)]
        for col, lay in enumerate(dense[:-1], start=1):
            z = model.activation(lay.name)[0]  # before the ReLU
            values[col] = z
            if relu[col - 1]:
                active[col] = z > 0
    top = max(sizes) - 1
    pos = [np.arange(n) + (top - (n - 1)) / 2 for n in sizes]  # node i of each column at y = i
    step = 1.0  # columns apart (the axes are stretched to fit; nodes are round markers)
    wmax = max(float(np.abs(W).max()) for W in Ws) or 1.0

    paths, on_path = [], set()
    if c is not None:
        for hidden in itertools.product(*(range(n) for n in sizes[1:-1])):
            nodes = (k, *hidden, c)
            edges = [(l, nodes[l + 1], nodes[l]) for l in range(len(Ws))]
            prod = float(np.prod([Ws[l][i, j] for l, i, j in edges]))
            is_open = all(active[col][h] for col, h in enumerate(hidden, start=1))
            paths.append((tuple(hidden), prod, is_open))
            on_path.update((e, is_open) for e in edges)
    lit = {e for e, _ in on_path}
    blocked = lit - {e for e, o in on_path if o}

    edges = {}
    for l, W in enumerate(Ws):
        for i, j in np.ndindex(W.shape):
            e = (l, i, j)
            line = Line2D([l * step, (l + 1) * step], [pos[l][j], pos[l + 1][i]],
                          gid=f"edge:{l}:{i}:{j}",
                          color=POSITIVE if W[i, j] > 0 else NEGATIVE,
                          linewidth=0.6 + 4.0 * abs(W[i, j]) / wmax,
                          alpha=1.0 if e in lit or not lit else 0.22,
                          linestyle="--" if e in blocked else "-", zorder=3 if e in lit else 1)
            ax.add_line(line)
            edges[e] = line
            if numbers and e in lit:
                t = 0.4 if l == 0 else 0.5  # clear of the labels above the hidden nodes
                ax.text((l + t) * step, pos[l][j] + t * (pos[l + 1][i] - pos[l][j]),
                        f"{W[i, j]:+.2f}",
                        fontsize=7.5, ha="center", va="center", zorder=6,
                        bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})
    _nodes(ax, sizes, pos, step, active, values, highlight=(k, c))
    ax.set_xlim(-0.55, len(Ws) * step + 0.55)
    ax.set_ylim(top + 0.45, -0.7)  # x_0 at the top
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=9)
    gradient = None
    if c is not None:
        gradient = float(sum(p for _, p, o in paths if o))
        if numbers:
            _path_list(ax, Ws, paths, k, c, gradient)
    return NetworkDrawing(edges, sorted(lit), paths, gradient)


def _nodes(ax, sizes, pos, step, active, values, highlight) -> None:
    names = ["x_{{{}}}"] + ["h_{{{}}}"] * (len(sizes) - 2) + ["S^{{{}}}"]
    last = len(sizes) - 1
    for col, n in enumerate(sizes):
        for i in range(n):
            on = bool(active[col][i])
            hit = (col == 0 and i == highlight[0]) or (col == last and i == highlight[1])
            ax.plot([col * step], [pos[col][i]], "o", ms=17, mfc="white" if on else OFF,
                    mec="black", mew=2.2 if hit else 1, zorder=4)
            label = "$" + names[col].format(i) + "$"
            if values[col] is not None:
                label += (": z" if 0 < col < last else "") + f" = {values[col][i]:.2f}"
                label += "" if on else ", off"
            if 0 < col < last:  # hidden units: name and z_h (before the ReLU) above the node
                xy, off, ha, va = (col * step, pos[col][i]), (0, 11), "center", "bottom"
            else:
                side = -1 if col == 0 else 1
                xy, off, ha, va = (col * step, pos[col][i]), (side * 13, 0), \
                    "right" if side < 0 else "left", "center"
            ax.annotate(label, xy, xytext=off, textcoords="offset points", ha=ha, va=va,
                        fontsize=8, zorder=5, fontweight="bold" if hit else None,
                        bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.3, "alpha": 0.8})


def _path_list(ax, Ws, paths, k, c, gradient) -> None:
    """The products along the paths, one line each, under the drawing."""
    if len(Ws) == 1:
        text = f"one path: dS^{c}/dx_{k} = w_{k}^{c} = {gradient:+.3f}"
    else:
        lines = []
        for hidden, prod, is_open in paths[:8]:
            nodes = (k, *hidden, c)
            factors = " × ".join(f"({Ws[l][nodes[l + 1], nodes[l]]:+.2f})" for l in range(len(Ws)))
            via = "→".join(f"h_{h}" for h in hidden)
            lines.append(f"via {via}: {factors} = {prod:+.3f}" if is_open
                         else f"via {via}: ReLU off, carries 0")
        if len(paths) > 8:
            lines.append(f"... {len(paths) - 8} more paths")
        text = "\n".join(lines) + f"\nsum over paths = dS^{c}/dx_{k} = {gradient:+.3f}"
    ax.text(0.5, -0.02, text, transform=ax.transAxes, ha="center", va="top", fontsize=8,
            family="monospace", multialignment="left", gid="gradient")


def legend(fig) -> None:
    """The key to the edge colours and styles, under the figure's panels."""
    handles = [Line2D([], [], color=POSITIVE, lw=2.5, label="weight > 0"),
               Line2D([], [], color=NEGATIVE, lw=2.5, label="weight < 0"),
               Line2D([], [], color="0.3", lw=2, ls="--", label="path through a ReLU that is off")]
    fig.legend(handles=handles, loc="outside lower center", fontsize=8, frameon=False, ncol=3)


def network_figure(models: dict, x=None, *, c: int | None = None, k: int | None = None,
                   title: str | None = None) -> Figure:
    """One :func:`draw_network` panel per model (a dict {title: Sequential}), side by side,
    the same x, c and k in each; one legend."""
    if not isinstance(models, dict) or not models:
        raise TypeError("models must be a non-empty dict {title: Sequential}")
    fig = Figure(figsize=(4.4 * len(models), 4.6), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(models), squeeze=False)[0]
    for ax, (name, model) in zip(axes, models.items(), strict=True):
        draw_network(ax, model, x, c=c, k=k, title=name)
    legend(fig)
    if title:
        fig.suptitle(title, fontsize=11, fontweight="bold")
    return fig
