"""Maps side by side: the gallery of ``numpycam demo`` and the one-map-per-class scene figure
of lessons 5 and 10.

The demo asks every method in a list of names for the map of each image's TRUE class, on
every model the method applies to (CAM needs a GAP head, so not the conventional CNN).
:func:`demo_figures` returns those figures by file name; :func:`demo` adds the two-object scene,
prints the accuracies and the 60-scene count, and writes the PNGs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from numpycam.classmaps import cam
from numpycam.data import CLASSES, shapes, two_object_scene
from numpycam.evaluate import conv_relus, explain, plan
from numpycam.maps import upsample
from numpycam.methods import METHODS
from numpycam.scenes import own_object_counts, per_class_maps
from numpycam.viz import TRUTH, draw_box, figure_grid, heatmap, overlay, save, show_image

DEMO_METHODS = ("cam", "grad_cam")  # the demo's picks from numpycam.methods.METHODS, in order
GALLERY = ("demo_gallery.png", "demo_cam.png", "demo_grad_cam.png", "demo_grad_cam_fc.png",
           "demo_scene.png")  # what demo() writes with DEMO_METHODS and the models gap, fc
MODELS = {"gap": "GAP model", "fc": "conventional CNN"}


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


def per_class_figure(scenes, maps, scores, *, title: str, label: str = "CAM",
                     signed: bool = True) -> Figure:
    """One row per scene: the input, then the map of every class at the image size.

    maps (R, M, h, w) and scores (R, M) as from :func:`numpycam.scenes.per_class_maps`. One colour
    scale per row so the classes can be compared: symmetric about 0 for ``signed`` maps (CAM),
    from 0 for maps after a ReLU (Grad-CAM), where an all-zero map is marked. Both objects' boxes
    are drawn, labelled with their classes.
    """
    maps, scores = np.asarray(maps), np.asarray(scores)
    rows, m = maps.shape[:2]
    fig, axes = figure_grid(rows, 1 + m, title=title)
    size = scenes.images.shape[-2:]
    for r in range(rows):
        show_image(axes[r, 0], scenes.images[r], f"input (top score: {CLASSES[int(scores[r].argmax())]})")
        hi = float(np.abs(maps[r]).max()) or 1.0
        for k in range(m):
            text = f"{label} '{CLASSES[k]}', S = {scores[r, k]:.2f}"
            if not signed and maps[r, k].max() <= 0:
                text += "\n(all zero)"
            heatmap(axes[r, 1 + k], upsample(maps[r, k], size), text, vmin=-hi if signed else 0,
                    vmax=hi, colorbar=k == m - 1)
        for col in range(1 + m):  # magenta stands out on every colour of the map
            for box, c in zip(scenes.boxes[r], scenes.labels[r], strict=True):
                draw_box(axes[r, col], box, label=CLASSES[c], color="magenta" if col else TRUTH)
    return fig


def demo_figures(models: dict, data, methods=DEMO_METHODS) -> dict[str, Figure]:
    """The demo's figures by file name: one per (method, model) that applies, and the gallery.

    ``demo_<method>.png`` for the ``gap`` model and ``demo_<method>_<model>.png`` for the others;
    each map is at the model's last conv ReLU (the rows of :func:`numpycam.evaluate.plan` there)
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

    The test images are a fresh ``shapes`` set of ``seed``: ``n`` of them cycling through the
    classes, and at least 48 to measure accuracy on (enough to tell chance from skill). The
    scene figure and the 60-scene count use CAM on the ``gap`` model and scenes of ``seed``.
    """
    check = shapes(max(48, 2 * n), seed=seed)
    acc = {k: float((m.predict(check.images) == check.labels).mean()) for k, m in models.items()}
    say(f"accuracy on {len(check)} test images (seed {seed}): "
        + ", ".join(f"{k} {a:.1%}" for k, a in acc.items()))
    if min(acc.values()) < 0.5:
        say("note: that is near chance (25%): these weights look untrained, so the maps below "
            "show nothing meaningful")
    figs = demo_figures(models, check[pick(check, n)], methods)
    gap, scene = models["gap"], two_object_scene(1, seed=seed)
    maps, scores = per_class_maps(gap, scene.images, cam)  # (1, M, h, w), (1, M)
    figs["demo_scene.png"] = per_class_figure(
        scene, maps, scores, title="one scene, one CAM per class (GAP model; 64 x 64, one "
        "signed scale, 0 = middle of the bar)")
    say(f"CAM of the gap model: {own_object_counts(gap, two_object_scene(60, seed=seed), cam)}")
    return [save(fig, Path(out) / name) for name, fig in figs.items()]
