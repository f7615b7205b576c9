"""Figures of ``numpycam evaluate``: localisation against the box threshold, and boxes on maps.

Headless: figures are ``matplotlib.figure.Figure`` objects drawn by the Agg canvas, so no
display and no pyplot state are needed. Boxes are (x0, y0, x1, y1) with exclusive ends; a box
covers pixel centres x0 .. x1-1, so its drawn edges sit at x0 - 0.5 and x1 - 0.5.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from numpycam.data import CLASSES
from numpycam.evaluation.localize import box_from_map, iou
from numpycam.evaluation.plan import THRESHOLDS, conv_relus, method_maps, plan
from numpycam.methods.postprocess import normalize, upsample
from numpycam.viz.colour import PREDICTED, TRUTH, fraction_colorbar
from numpycam.viz.figure import save
from numpycam.viz.maps import draw_box, overlay


def threshold_figure(rows: list[dict], threshold: float | None = None) -> Figure:
    """Top-1 localisation accuracy against the box threshold, one line per swept row."""
    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.add_subplot()
    for r in (r for r in rows if r["loc_by_threshold"]):
        ts = [float(t) for t in r["loc_by_threshold"]]
        acc = [100 * a for a in r["loc_by_threshold"].values()]
        dashed = r["method"] == "grad_cam" and r.get("same_boxes_as_cam") is not None
        ax.plot(ts, acc, "--" if dashed else "-", marker="o", markersize=3,
                label=f"{r['method']} ({r['model']}, {r['layer']})")
    if threshold is not None:
        ax.axvline(threshold, color="grey", lw=0.8, ls=":")
    ax.set(xlabel="box threshold (fraction of the map's maximum)",
           ylabel="localisation accuracy, IoU >= 0.5 (%)", xlim=(0, max(THRESHOLDS) + 0.05),
           title="Top-1 localisation against the threshold")
    ax.grid(alpha=0.3)
    if ax.lines:
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no swept rows (CAM / Grad-CAM not evaluated)", ha="center",
                transform=ax.transAxes)
    return fig


def boxes_figure(models: dict, data, method: str, *, threshold: float = 0.2,
                 k: int = 8, chosen: dict | None = None) -> Figure:
    """The first k images, map of the predicted class over each; true box green, predicted white.

    Each map is divided by its max |map| (one colour bar per row; signed rows diverging).
    One row per model, at the method's last conv ReLU (the row the family is compared on). The
    box is the largest region of the map >= ``threshold`` x max (the papers' rule), or, for a
    model in ``chosen`` (model -> (t, split)), of the min-max normalised map >= t, t having been
    chosen on that separate labelled split (never on the images shown).
    """
    specs = [s for s in plan(models, [method])
             if s.layer == conv_relus(models[s.model])[-1]]
    x, y, gt = data.images[:k], data.labels[:k], data.boxes[:k]
    k, splits = len(x), set()
    fig = Figure(figsize=(1.5 * k, 1.75 * len(specs) + 0.4), layout="constrained")
    axes = np.atleast_2d(fig.subplots(len(specs), k, squeeze=False))
    for row, s in zip(axes, specs, strict=True):
        model = models[s.model]
        pred = model.forward(x).argmax(axis=1)
        L = upsample(method_maps(model, x, pred, method, s.layer), x.shape[2:])  # (k, H, W)
        t, split = (chosen or {}).get(s.model, (None, None))
        boxes = box_from_map(L, threshold) if t is None else box_from_map(normalize(L), t)
        peak = np.abs(L).max(axis=(1, 2), keepdims=True)  # (k, 1, 1): each map on its own scale
        shown, signed = L / np.where(peak > 0, peak, 1.0), bool((L < 0).any())
        for j, ax in enumerate(row):
            overlay(ax, x[j], shown[j], colorbar=False, vmax=1.0, signed=signed)
            draw_box(ax, gt[j], TRUTH, linewidth=1.5)
            draw_box(ax, boxes[j], PREDICTED, linewidth=1.5)  # red would hide in the map's colours
            mark = "ok" if pred[j] == y[j] else f"true {CLASSES[y[j]]}"
            ax.set_title(f"{CLASSES[pred[j]]} ({mark})\nIoU {iou(boxes[j], gt[j]):.2f}",
                         fontsize=7)
        rule = f"t = {threshold:g} x max" if t is None else f"t = {t:.2f} (normalised)"
        row[0].set_ylabel(f"{s.model}, {s.layer}\n{rule}", fontsize=7)
        fraction_colorbar(fig, ax=row, label="map / max |map|", signed=signed, fraction=0.02, pad=0.01)
        splits.add(split)
    where = "" if splits == {None} else \
        f"; t chosen on {', '.join(sorted(str(p) for p in splits - {None}))}, not on these images"
    fig.suptitle(f"{method}: true box green, predicted box white{where}", fontsize=9)
    return fig


def save_figures(models: dict, data, rows: list[dict], out, *, threshold: float = 0.2,
                 methods=None) -> list[Path]:
    """evaluate_threshold.png and one evaluate_boxes_<method>.png per method, in ``out``."""
    out = Path(out)
    paths = [save(threshold_figure(rows, threshold), out / "evaluate_threshold.png")]
    for method in dict.fromkeys(methods or [r["method"] for r in rows]):
        # the threshold each row chose on the separate split, where evaluate had one
        chosen = {r["model"]: (r["tau_val"], r["tau_chosen_on"]) for r in rows
                  if r["method"] == method and r.get("tau_val") is not None
                  and r["layer"] == conv_relus(models[r["model"]])[-1]}
        fig = boxes_figure(models, data, method, threshold=threshold, chosen=chosen)
        paths.append(save(fig, out / f"evaluate_boxes_{method}.png"))
    return paths
