"""``numpycam demo``: load the shipped models and write a gallery of CAM and Grad-CAM figures.

Test images come from a fresh ``shapes`` set (seed 123 by default; training used seeds 1 and
2). Every map explains the TRUE class of its image; each title also gives what the model
predicted. ``--train`` retrains both models with the recipe in ``numpycam.zoo`` first
(minutes); the retrained models are used for the figures only, the shipped files are untouched.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

GALLERY = ("demo_gallery.png", "demo_cam.png", "demo_grad_cam.png", "demo_grad_cam_fc.png",
           "demo_scene.png")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("figures"),
                        help="folder for the PNGs (default figures/)")
    parser.add_argument("--train", action="store_true",
                        help="retrain both models with the shipped recipe first (takes minutes)")
    parser.add_argument("--n", type=int, default=4, help="test images per figure (default 4)")
    parser.add_argument("--seed", type=int, default=123,
                        help="seed of the test images (default 123; training used 1 and 2)")


def train_models() -> dict:
    """Both models trained from scratch by ``numpycam train`` (the recipe in
    ``numpycam.zoo``), into a temporary folder: the shipped files stay as they are."""
    import tempfile

    import numpycam as nc
    from numpycam.commands import train

    parser = argparse.ArgumentParser()
    train.add_arguments(parser)  # the command's own defaults, so none can be missing here
    with tempfile.TemporaryDirectory() as tmp:
        train.run(parser.parse_args(["--out", tmp]))
        return {name: nc.load(Path(tmp) / f"{name}.npz") for name in ("gap", "fc")}


def pick(data, n: int) -> np.ndarray:
    """Indices of n images cycling through the classes: first circle, first square, ..."""
    per_class = [list(np.flatnonzero(data.labels == c)) for c in range(len(data.classes))]
    out = []
    while len(out) < n:
        for idx in per_class:
            if idx and len(out) < n:
                out.append(idx.pop(0))
    return np.array(out)


def _title(data, i, scores):
    return f"{data.classes[data.labels[i]]} (model: {data.classes[int(scores[i].argmax())]})"


def method_figure(viz, data, maps, scores, name: str):
    """Rows of images: input with its box, the raw map, the overlay."""
    fig, axes = viz.figure_grid(len(data), 3, title=name)
    for r in range(len(data)):
        viz.show_image(axes[r, 0], data.images[r], _title(data, r, scores))
        viz.draw_box(axes[r, 0], data.boxes[r])
        h, w = maps[r].shape
        viz.heatmap(axes[r, 1], maps[r], f"map at {h} x {w}")
        viz.overlay(axes[r, 2], data.images[r], maps[r], "overlay (normalised)")
        viz.draw_box(axes[r, 2], data.boxes[r])
    return fig


def run(args: argparse.Namespace) -> int:
    import numpycam as nc
    from numpycam import viz
    from numpycam.data import CLASSES, shapes, two_object_scene

    if args.n < 1:
        raise ValueError(f"--n must be >= 1, got {args.n}")
    models = train_models() if args.train else {k: nc.pretrained(k) for k in ("gap", "fc")}
    gap, fc = models["gap"], models["fc"]

    check = shapes(max(48, 2 * args.n), seed=args.seed)  # small: enough to tell chance from skill
    acc = {k: float((m.predict(check.images) == check.labels).mean()) for k, m in models.items()}
    print(f"accuracy on {len(check)} test images (seed {args.seed}): gap {acc['gap']:.1%}, "
          f"fc {acc['fc']:.1%}")
    if min(acc.values()) < 0.5:
        print("note: that is near chance (25%): these weights look untrained, so the maps "
              "below show nothing meaningful")
    data = check[pick(check, args.n)]
    x, c = data.images, data.labels

    e_cam = nc.cam(gap, x, c, details=True)
    e_gc = nc.grad_cam(gap, x, c, details=True)
    e_fc = nc.grad_cam(fc, x, c, layer="relu3", details=True)

    figs = {
        "demo_cam.png": method_figure(viz, data, e_cam.maps, e_cam.scores,
                                      f"CAM, GAP model, layer {e_cam.layer}"),
        "demo_grad_cam.png": method_figure(viz, data, e_gc.maps, e_gc.scores,
                                           f"Grad-CAM, GAP model, layer {e_gc.layer}"),
        "demo_grad_cam_fc.png": method_figure(viz, data, e_fc.maps, e_fc.scores,
                                              f"Grad-CAM, conventional CNN, layer {e_fc.layer}"),
    }

    cols = ["input", "CAM (gap)", "Grad-CAM (gap)", "Grad-CAM (fc)"]
    fig, axes = viz.figure_grid(len(data), 4, title="CAM and Grad-CAM for the true class")
    for r in range(len(data)):
        viz.show_image(axes[r, 0], x[r], _title(data, r, e_cam.scores))
        for col, e in enumerate((e_cam, e_gc, e_fc), start=1):
            viz.overlay(axes[r, col], x[r], e.maps[r], cols[col] if r == 0 else None,
                        colorbar=col == 3)
            viz.draw_box(axes[r, col], data.boxes[r])
    figs["demo_gallery.png"] = fig

    scene = two_object_scene(1, seed=args.seed)
    img = scene.images[:1]
    fig, axes = viz.figure_grid(1, 1 + len(CLASSES), title="one scene, one CAM per class "
                                "(GAP model; 64 x 64, one signed scale, 0 = middle of the bar)")
    S = gap.forward(img)[0]
    viz.show_image(axes[0, 0], img[0], f"two objects (top score: {CLASSES[int(S.argmax())]})")
    L = nc.cam(gap, np.repeat(img, len(CLASSES), axis=0), np.arange(len(CLASSES)))  # (4, h, w)
    hi = float(np.abs(L).max()) or 1.0  # one scale: the classes are compared
    for k, name in enumerate(CLASSES):
        viz.heatmap(axes[0, 1 + k], nc.upsample(L[k], img.shape[-1]),
                    f"CAM for '{name}', S = {S[k]:.2f}", vmin=-hi, vmax=hi,
                    colorbar=k == len(CLASSES) - 1)
    for col in range(1 + len(CLASSES)):  # magenta stands out on every colour of the map
        for box, label in zip(scene.boxes[0], scene.labels[0], strict=True):
            viz.draw_box(axes[0, col], box, label=CLASSES[label],
                         color="magenta" if col else viz.TRUTH)
    figs["demo_scene.png"] = fig

    for name in GALLERY:
        print(f"wrote {viz.save(figs[name], args.out / name)}")
    return 0
