"""Plots of numbers rather than maps (bars of a vector, a loss curve, points against a line, a
text panel), for the lessons; :mod:`numpycam.viz` re-exports them as ``viz.bars``, ``viz.curve``."""

from __future__ import annotations

import numpy as np

__all__ = ["bars", "curve", "scatter", "text_panel"]


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
