"""Figures of the sanity checks and of the shortcut experiment (headless Figures, Agg canvas).

Maps are drawn as |L| / max |L| in the package's sequential colour map (numpycam.viz.colour.SEQUENTIAL,
one colour bar for the whole grid): the randomised maps change sign and scale, and the sanity
checks ask where a map is large, not which sign it has.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from numpycam.viz.colour import SEQUENTIAL, fraction_colorbar
from numpycam.viz.maps import draw_box, overlay, show_image


def _abs_norm(m: np.ndarray) -> np.ndarray:
    top = np.abs(m).max()
    return np.abs(m) / top if top > 0 else np.zeros_like(m)


def cascade_figure(result, image, title: str = "Cascading randomisation") -> Figure:
    """Rows: methods; columns: the original map, then the maps with the model randomised up to
    each layer (numpycam.evaluation.sanity.Randomisation of one image); each cell |L| / max |L|."""
    methods, steps = list(result.maps), result.steps
    fig = Figure(figsize=(1.25 * (len(steps) + 1), 1.3 * len(methods) + 0.5), layout="constrained")
    axes = fig.subplots(len(methods), len(steps) + 1, squeeze=False)
    for i, m in enumerate(methods):
        show_image(axes[i, 0], image, "image" if i == 0 else None)
        for j, step in enumerate(steps):
            ax = axes[i, j + 1]
            ax.imshow(_abs_norm(result.maps[m][j]), cmap=SEQUENTIAL, vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(step, fontsize=7)
            if j == 0:
                ax.set_ylabel(m, fontsize=7)
    fraction_colorbar(fig, ax=axes[:, 1:], label="|map| / max |map|", fraction=0.02, pad=0.01)
    fig.suptitle(f"{title}: |map| / max |map|, one image", fontsize=9)
    return fig


def similarity_figure(result, measure: str = "spearman") -> Figure:
    """One line per method: the mean similarity to the original map at each step."""
    fig = Figure(figsize=(7.0, 3.8), layout="constrained")
    ax = fig.add_subplot()
    x = np.arange(len(result.steps))
    for i, (m, d) in enumerate(result.scores.items()):
        ax.plot(x, d[measure], marker="o", ms=3, lw=1.2, color=f"C{i % 10}",
                ls="-" if i < 10 else "--", label=m)
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xticks(x, result.steps, rotation=20, fontsize=8)
    ax.set(ylabel=f"{measure} with the original map", ylim=(-0.5, 1.05),
           title=f"Randomised from the top: {measure.replace('_', ' ')} per step (mean over images)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    return fig


def pair_figure(images, maps: dict, labels=("true labels", "random labels")) -> Figure:
    """Data randomisation: per method, the maps of two models for the same image (columns)."""
    methods = list(maps)
    fig = Figure(figsize=(1.5 * (len(methods) + 1), 3.2), layout="constrained")
    axes = fig.subplots(2, len(methods) + 1, squeeze=False)
    for r in range(2):
        show_image(axes[r, 0], images, None)
        axes[r, 0].set_ylabel(labels[r], fontsize=8)
        axes[r, 0].set_visible(True)
        for j, m in enumerate(methods):
            ax = axes[r, j + 1]
            ax.imshow(_abs_norm(maps[m][r]), cmap=SEQUENTIAL, vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(m, fontsize=8)
    fraction_colorbar(fig, ax=axes[:, 1:], label="|map| / max |map|", fraction=0.02, pad=0.01)
    fig.suptitle("Same recipe, true against permuted labels: |map| / max |map|", fontsize=9)
    return fig


def shortcut_figure(images, mark_boxes, rows: dict, titles=None) -> Figure:
    """rows {label: maps (N, H, W)}: each model's maps over the same images, mark box in cyan;
    each map's positive part divided by its maximum (one colour bar for all)."""
    n = len(images)
    fig = Figure(figsize=(1.6 * n, 1.7 * len(rows) + 0.4), layout="constrained")
    axes = fig.subplots(len(rows), n, squeeze=False)
    for i, (label, maps) in enumerate(rows.items()):
        for j in range(n):
            ax = axes[i, j]
            overlay(ax, images[j], _abs_norm(np.maximum(maps[j], 0)), colorbar=False, vmax=1.0)
            draw_box(ax, mark_boxes[j], "cyan", linewidth=1.2)
            if i == 0 and titles is not None:
                ax.set_title(titles[j], fontsize=7)
        axes[i, 0].set_ylabel(label, fontsize=8)
    fraction_colorbar(fig, ax=axes, label="map / its maximum", fraction=0.02, pad=0.01)
    fig.suptitle("Grad-CAM of the predicted class on unbiased test images; the mark in cyan",
                 fontsize=9)
    return fig
