"""Figure of the threshold-free evaluation: BoxAcc against the threshold t, per method.

Headless (a ``matplotlib.figure.Figure`` on the Agg canvas), like numpycam.viz.localize.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from numpycam.evaluation.wsol import TAUS


def box_acc_figure(rows: list[dict], delta: float = 0.5) -> Figure:
    """BoxAcc(t, delta) against t, one panel per model, one line per method at the model's
    last explained layer; the baselines (grey) in every panel; a dot marks the t chosen on the
    separate split (``tau_val``), if any. A method keeps its colour in every panel."""
    last = {}
    for r in rows:  # the deepest layer per model and method is its last row
        last[(r["model"], r["method"])] = r
    models = list(dict.fromkeys(m for m, _ in last if m != "baseline")) or ["baseline"]
    methods = list(dict.fromkeys(k for m, k in last if m != "baseline"))
    colours = {k: f"C{i % 10}" for i, k in enumerate(methods)}
    fig = Figure(figsize=(5.2 * len(models), 4.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(models), sharey=True, squeeze=False)[0])
    for ax, model in zip(axes, models, strict=True):
        for (m, k), r in last.items():
            base = m == "baseline"
            if m != model and not base:
                continue
            acc = [100 * a for a in r["box_acc_by_tau"][str(delta)]]
            style = dict(color="grey", ls="--" if k == "centre_gaussian" else ":") if base \
                else dict(color=colours[k], ls="-")
            label = f"{k} (baseline)" if base else f"{k} ({r['layer']})"
            ax.plot(TAUS, acc, lw=1.3, label=label, **style)
            if r.get("tau_val") is not None:
                ax.plot([r["tau_val"]], [100 * r["box_acc_tau_val"]], "o", ms=4,
                        color=style["color"])
        ax.set(xlabel="threshold t on the min-max normalised map of the true class",
               xlim=(0, 1), ylim=(0, 101), title=f"model {model}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper right")
    axes[0].set_ylabel(f"BoxAcc(t, {delta:g}) (%): a box of any region has IoU >= {delta:g}")
    fig.suptitle("Localisation against the threshold; dots: the t chosen on the separate split",
                 fontsize=10)
    return fig
