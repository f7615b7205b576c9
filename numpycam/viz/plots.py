"""Plots of numbers rather than maps (a loss curve, points against a line, a text panel), for
the lessons; :mod:`numpycam.viz` imports them, so ``viz.curve`` etc. keep working."""

from __future__ import annotations

import numpy as np

__all__ = ["curve", "scatter", "text_panel"]


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
