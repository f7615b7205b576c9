"""Figure of the threshold-free evaluation: BoxAcc against the threshold t, per method.

Headless (a ``matplotlib.figure.Figure`` on the Agg canvas), like numpycam.viz_localize.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from numpycam.wsol import TAUS


def box_acc_figure(rows: list[dict], delta: float = 0.5) -> Figure:
    """BoxAcc(t, delta) against t for each row at its model's last explained layer, baselines
    dashed grey; a dot marks the t chosen on the separate split (``tau_val``), if any."""
    last = {}
    for r in rows:  # the deepest layer per model is the last row of that model and method
        last[(r["model"], r["method"])] = r
    fig = Figure(figsize=(7.2, 4.4), layout="constrained")
    ax = fig.add_subplot()
    for r in last.values():
        acc = [100 * a for a in r["box_acc_by_tau"][str(delta)]]
        base = r["model"] == "baseline"
        line, = ax.plot(TAUS, acc, "--" if base else "-", lw=1.2,
                        color="grey" if base else None,
                        label=f"{r['method']} ({r['model']}{'' if base else ', ' + r['layer']})")
        if r.get("tau_val") is not None:
            ax.plot([r["tau_val"]], [100 * r["box_acc_tau_val"]], "o", ms=4,
                    color=line.get_color())
    ax.set(xlabel="threshold t on the min-max normalised map of the true class",
           ylabel=f"BoxAcc(t, {delta:g}): best box of any region, IoU >= {delta:g} (%)",
           xlim=(0, 1), ylim=(0, 100),
           title="Localisation against the threshold (dots: t chosen on the separate split)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    return fig
