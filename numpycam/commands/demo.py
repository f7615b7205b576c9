"""``numpycam demo``: load the shipped models and write a gallery of CAM and Grad-CAM figures.

Test images come from a fresh ``shapes`` set (seed 123 by default; training used seeds 1 and
2). Every map explains the TRUE class of its image; each title also gives what the model
predicted. ``--train`` retrains the models with the recipe of :mod:`numpycam.train.recipes` first
(minutes); the retrained models are used for the figures only, the shipped files are untouched.
The numbers are computed by :mod:`numpycam.evaluation.demo`, the figures drawn by
:mod:`numpycam.viz.gallery`; :func:`write_demo` prints the one and saves the other.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from numpycam.commands import int_in, non_negative_int
from numpycam.commands.output import output_folder, prepare_output
from numpycam.data import shapes
from numpycam.evaluation.demo import CHECK_N, DEMO_METHODS, accuracies, pick, scene_maps, true_class_maps
from numpycam.files.zoo import NAMES, pretrained
from numpycam.methods.registry import METHODS
from numpycam.train import runner
from numpycam.viz.figure import save
from numpycam.viz.gallery import GALLERY, demo_figures, scene_figure


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=output_folder, default=Path("figures"),
                        help="folder for the PNGs (default figures/; PNGs of the same names are replaced)")
    parser.add_argument("--train", action="store_true",
                        help="retrain the models with the shipped recipe first (takes minutes)")
    parser.add_argument("--n", type=int_in(1, 64), default=4,
                        help="test images per figure (default 4)")
    parser.add_argument("--seed", type=non_negative_int, default=123,
                        help="seed of the test images (default 123; training used 1 and 2)")


def write_demo(models: dict, out, *, n: int = 4, seed: int = 123, methods=DEMO_METHODS,
               say: Callable[[str], None] = print) -> list[Path]:
    """Write the demo's PNGs into ``out``, say what was measured, and return the paths.

    ``models``: name -> model, the single-label ``gap`` and ``fc`` and the multi-label
    ``gap_multi``. The test images are a fresh ``shapes`` set of ``seed``: ``n`` of them cycling
    through the classes, and at least CHECK_N to measure accuracy on. The scene figure shows CAM
    of ``gap_multi`` on the first scenes of ``seed``; the counts said measure CAM and Grad-CAM of
    ``gap_multi`` on SCENES_N scenes (see :func:`numpycam.evaluation.demo.scene_maps`).
    """
    multi = models["gap_multi"]
    single = {k: m for k, m in models.items() if k != "gap_multi"}
    check = shapes(max(CHECK_N, 2 * n), seed=seed)
    acc = accuracies(single, check)
    say(f"accuracy on {len(check)} test images (seed {seed}): "
        + ", ".join(f"{k} {a:.1%}" for k, a in acc.items()))
    if min(acc.values()) < 0.5:
        say("note: that is near chance (25%): these weights look untrained, so the maps below "
            "show nothing meaningful")
    shown = check[pick(check, n)]
    scores, runs = true_class_maps(single, shown, methods)
    scene = scene_maps(multi, seed)
    for method, counts in scene.counts.items():
        say(f"{METHODS[method].label} of gap_multi (scenes of seed {seed}): {counts}")
    figs = demo_figures(shown, scores, runs)
    figs["demo_scene.png"] = scene_figure(scene.scenes, scene.maps, scene.scores)
    return [save(fig, Path(out) / name) for name, fig in figs.items()]


def run(args: argparse.Namespace) -> int:
    prepare_output(args.out, command="demo", names=GALLERY)
    models = runner.trained_models() if args.train else {k: pretrained(k) for k in NAMES}
    for path in write_demo(models, args.out, n=args.n, seed=args.seed):
        print(f"wrote {path}")
    return 0
