"""Maps side by side: the gallery of ``numpycam demo`` and the one-map-per-class scene figure
of lessons 5 and 10.

The demo asks every method in a list of names for the map of each image's TRUE class, on
every model the method applies to (CAM needs a GAP head, so not the conventional CNN).
:func:`demo_figures` returns those figures by file name; :func:`demo` adds the scene figure of
the multi-label model ``gap_multi`` (one CAM per class on scenes of one to three objects),
prints the accuracies and how often each class's map favours its own object, and writes the PNGs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from numpycam.data import CLASSES, shapes
from numpycam.data.multi import multi_object_scenes
from numpycam.evaluation.evaluate import conv_relus, explain, plan
from numpycam.evaluation.own_object import own_class_counts, per_class_maps
from numpycam.methods.classmaps import cam, grad_cam
from numpycam.methods.postprocess import upsample
from numpycam.methods.registry import METHODS
from numpycam.nn.losses import sigmoid as _sigmoid
from numpycam.viz.colour import TRUTH
from numpycam.viz.figure import figure_grid, save
from numpycam.viz.maps import draw_box, heatmap, overlay, show_image

DEMO_METHODS = ("cam", "grad_cam")  # the demo's picks from numpycam.methods.registry.METHODS, in order
GALLERY = ("demo_gallery.png", "demo_cam.png", "demo_grad_cam.png", "demo_grad_cam_fc.png",
           "demo_scene.png")  # what demo() writes with DEMO_METHODS and the models gap, fc
MODELS = {"gap": "GAP model", "fc": "conventional CNN"}
SCENES_N = 500  # multi-object scenes the demo measures gap_multi on (about 3 s)


def pick(data, n: int) -> np.ndarray:
    """Indices of n images cycling through the classes: first circle, first square, ..."""
    per_class = [list(np.flatnonzero(data.labels == c)) for c in range(len(data.classes))]
    out = []
    while len(out) < n and any(per_class):
        for idx in per_class:
            if idx and len(out) < n:
                out.append(idx.pop(0))
    return np.array(out)


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


def demo_figures(models: dict, data, methods=DEMO_METHODS) -> dict[str, Figure]:
    """The demo's figures by file name: one per (method, model) that applies, and the gallery.

    ``demo_<method>.png`` for the ``gap`` model and ``demo_<method>_<model>.png`` for the others;
    each map is at the model's last conv ReLU (the rows of :func:`numpycam.evaluation.evaluate.plan` there)
    and explains the true class of its image.
    """
    scores = {name: model.forward(data.images) for name, model in models.items()}  # (N, M)
    figs, runs = {}, []
    for method in methods:
        for s in plan(models, [method]):
            model = models[s.model]
            if s.layer != conv_relus(model)[-1]:
                continue
            maps = explain(model, data.images, data.labels, method, s.layer)  # (N, h, w)
            label = METHODS[method].label
            file = f"demo_{method}.png" if s.model == "gap" else f"demo_{method}_{s.model}.png"
            title = f"{label}, {MODELS.get(s.model, s.model)}, layer {s.layer}"
            figs[file] = method_figure(data, maps, scores[s.model], title)
            runs.append((f"{label} ({s.model})", maps))
    figs["demo_gallery.png"] = gallery_figure(data, runs, next(iter(scores.values())))
    return figs


def demo(models: dict, out, *, n: int = 4, seed: int = 123, methods=DEMO_METHODS,
         say: Callable[[str], None] = print) -> list[Path]:
    """Write the demo's PNGs into ``out`` and return their paths.

    ``models``: name -> model, the single-label ``gap`` and ``fc`` and the multi-label
    ``gap_multi``. The test images are a fresh ``shapes`` set of ``seed``: ``n`` of them cycling
    through the classes, and at least 48 to measure accuracy on (enough to tell chance from
    skill). The scene figure shows CAM of ``gap_multi`` on the first three
    ``multi_object_scenes`` of ``seed``; the printed counts measure CAM and Grad-CAM of
    ``gap_multi`` on the first ``SCENES_N`` scenes of ``seed`` (see
    :func:`numpycam.evaluation.own_object.own_class_counts`).
    """
    multi = models["gap_multi"]
    single = {k: m for k, m in models.items() if k != "gap_multi"}
    check = shapes(max(48, 2 * n), seed=seed)
    acc = {k: float((m.predict(check.images) == check.labels).mean()) for k, m in single.items()}
    say(f"accuracy on {len(check)} test images (seed {seed}): "
        + ", ".join(f"{k} {a:.1%}" for k, a in acc.items()))
    if min(acc.values()) < 0.5:
        say("note: that is near chance (25%): these weights look untrained, so the maps below "
            "show nothing meaningful")
    figs = demo_figures(single, check[pick(check, n)], methods)
    scenes = multi_object_scenes(SCENES_N, seed=seed)
    maps, scores = per_class_maps(multi, scenes.images[:3], cam)  # (3, M, h, w), (3, M)
    figs["demo_scene.png"] = per_class_figure(
        scenes[:3], maps, scores, shared=False, title="multi-label GAP model (gap_multi): one "
        "CAM per class, P = sigmoid(S); each map on its own signed scale, 0 = middle of its bar")
    for name, method in (("CAM", cam), ("Grad-CAM", grad_cam)):
        say(f"{name} of gap_multi (scenes of seed {seed}): "
            f"{own_class_counts(multi, scenes, method)}")
    return [save(fig, Path(out) / name) for name, fig in figs.items()]
