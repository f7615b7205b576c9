"""Maps side by side: the gallery of ``numpycam demo`` and the one-map-per-class scene figure
of lessons 5 and 10. Drawing only: the maps and scores come computed (for the demo, by
:mod:`numpycam.evaluation.demo`).

    figs = demo_figures(shown, scores, runs)     # {file name: Figure}, one per run + the gallery
    fig = scene_figure(scenes, maps, scores)     # demo_scene.png: one CAM per class per scene
    fig = per_class_figure(scenes, maps, scores, title=..., label="Grad-CAM", signed=False)
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from numpycam.data import CLASSES
from numpycam.methods.postprocess import upsample
from numpycam.methods.registry import METHODS
from numpycam.nn.losses import sigmoid as _sigmoid
from numpycam.viz.colour import TRUTH
from numpycam.viz.figure import figure_grid
from numpycam.viz.maps import draw_box, heatmap, overlay, show_image

GALLERY = ("demo_gallery.png", "demo_cam.png", "demo_grad_cam.png", "demo_grad_cam_fc.png",
           "demo_scene.png")  # what numpycam demo writes with its methods and the models gap, fc
MODELS = {"gap": "GAP model", "fc": "conventional CNN"}

__all__ = ["GALLERY", "MODELS", "demo_figures", "draw_outline", "gallery_figure", "method_figure",
           "per_class_figure", "scene_figure"]


def _title(data, r: int, scores) -> str:
    return f"{data.classes[data.labels[r]]} (model: {data.classes[int(scores[r].argmax())]})"


def method_figure(data, maps, scores, title: str) -> Figure:
    """Rows of images: input with its box, the raw map, the overlay."""
    fig, axes = figure_grid(len(data), 3, title=title)
    for r in range(len(data)):
        show_image(axes[r, 0], data.images[r], _title(data, r, scores))
        draw_box(axes[r, 0], data.boxes[r])
        h, w = maps[r].shape
        heatmap(axes[r, 1], maps[r], f"map at {h} x {w}")
        overlay(axes[r, 2], data.images[r], maps[r], "overlay")
        draw_box(axes[r, 2], data.boxes[r])
    return fig


def gallery_figure(data, runs: list[tuple[str, np.ndarray]], scores) -> Figure:
    """Input, then one overlay per (column label, maps (N, h, w)) run; the true box in green."""
    fig, axes = figure_grid(len(data), 1 + len(runs), title="each map explains the true class")
    for r in range(len(data)):
        show_image(axes[r, 0], data.images[r], _title(data, r, scores))
        for col, (label, maps) in enumerate(runs, start=1):
            overlay(axes[r, col], data.images[r], maps[r], label if r == 0 else None)  # own scale, own bar
            draw_box(axes[r, col], data.boxes[r])
    return fig


def _scene_objects(scenes, r: int) -> list[tuple[int, np.ndarray]]:
    """(class, mask (H, W)) of each object of scene r: of a two-object SceneData (labels (N, 2))
    or of a MultiSceneData (objects (N, K), -1 where there is none)."""
    classes = scenes.objects[r] if hasattr(scenes, "objects") else scenes.labels[r]
    return [(int(c), scenes.masks[r, k]) for k, c in enumerate(classes) if c >= 0]


def draw_outline(ax, mask, color: str, label: str | None = None) -> None:
    """The outline of a bool mask (H, W), and its label above the object's top-left corner."""
    ax.contour(np.asarray(mask, float), levels=[0.5], colors=[color], linewidths=1.3)
    if label:
        ys, xs = np.nonzero(mask)
        ax.text(xs.min() - 0.5, ys.min() - 1.0, label, color="black", fontsize=7, va="bottom",
                bbox={"facecolor": color, "edgecolor": "none", "pad": 1, "alpha": 0.85})


def per_class_figure(scenes, maps, scores, *, title: str, label: str = "CAM",
                     signed: bool = True, sigmoid: bool | None = None,
                     shared: bool = True) -> Figure:
    """One row per scene: the input, then the map of every class at the image size.

    scenes: the first R scenes of a :class:`numpycam.data.SceneData` (two objects) or a
    :class:`numpycam.data.multi.MultiSceneData` (one to three); maps (R, M, h, w) and scores
    (R, M) as from :func:`numpycam.evaluation.own_object.per_class_maps`; ``title`` above the figure,
    ``label`` the method's name in each panel title. ``shared``: one colour scale per row, so
    the classes can be compared (a weak class may look blank beside a strong one); False gives
    each map its own scale and colour bar, so each map's shape shows. Scales are symmetric
    about 0 for ``signed`` maps (CAM), from 0 for maps after a ReLU (Grad-CAM), where an
    all-zero map is marked. Every object is outlined and labelled with its
    class (the true masks). ``sigmoid``: also give P = sigma(S^c), the presence probability of
    a multi-label model (default: True for MultiSceneData scenes).
    """
    maps, scores = np.asarray(maps), np.asarray(scores)
    sigmoid = hasattr(scenes, "objects") if sigmoid is None else sigmoid
    rows, m = maps.shape[:2]
    fig, axes = figure_grid(rows, 1 + m, title=title)
    size = scenes.images.shape[-2:]
    for r in range(rows):
        if sigmoid:
            said = [CLASSES[c] for c in np.flatnonzero(scores[r] > 0)]  # P > 0.5
            head = f"input\nP > 0.5: {', '.join(said) or 'none'}"
        else:
            head = f"input (top score: {CLASSES[int(scores[r].argmax())]})"
        show_image(axes[r, 0], scenes.images[r], head)
        row_hi = float(np.abs(maps[r]).max()) or 1.0
        for k in range(m):
            hi = row_hi if shared else float(np.abs(maps[r, k]).max()) or 1.0
            text = f"{label} '{CLASSES[k]}', S = {scores[r, k]:.2f}"
            if sigmoid:
                text += f"\nP = sigmoid(S) = {float(_sigmoid(scores[r, k])):.2f}"
            if not signed and maps[r, k].max() <= 0:
                text += "\n(all zero)"
            heatmap(axes[r, 1 + k], upsample(maps[r, k], size), text, vmin=-hi if signed else 0,
                    vmax=hi, signed=signed, colorbar=k == m - 1 or not shared)
        for col in range(1 + m):  # magenta stands out on every colour of the map
            for c, mask in _scene_objects(scenes, r):
                draw_outline(axes[r, col], mask, "magenta" if col else TRUTH, CLASSES[c])
    return fig


def demo_figures(data, scores: dict, runs) -> dict[str, Figure]:
    """The demo's figures by file name: one per run, and the gallery of all runs.

    data: the images shown (images, labels, boxes); scores: model name -> S (N, M); runs:
    (method, model, layer, maps (N, h, w)) as from
    :func:`numpycam.evaluation.demo.true_class_maps`, each map of the image's true class.
    ``demo_<method>.png`` for the ``gap`` model and ``demo_<method>_<model>.png`` for the others.
    """
    figs, columns = {}, []
    for method, model, layer, maps in runs:
        label = METHODS[method].label
        file = f"demo_{method}.png" if model == "gap" else f"demo_{method}_{model}.png"
        title = f"{label}, {MODELS.get(model, model)}, layer {layer}"
        figs[file] = method_figure(data, maps, scores[model], title)
        columns.append((f"{label} ({model})", maps))
    figs["demo_gallery.png"] = gallery_figure(data, columns, next(iter(scores.values())))
    return figs


def scene_figure(scenes, maps, scores) -> Figure:
    """demo_scene.png: the multi-label model's CAM of every class on the first scenes, each map
    on its own signed scale (maps (R, M, h, w), scores (R, M) as from
    :func:`numpycam.evaluation.demo.scene_maps`)."""
    return per_class_figure(scenes[:len(maps)], maps, scores, shared=False, title="multi-label "
                            "GAP model (gap_multi): one CAM per class, P = sigmoid(S); each map "
                            "on its own signed scale, 0 = middle of its bar")
