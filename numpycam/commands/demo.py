"""``numpycam demo``: load the shipped models and write a gallery of CAM and Grad-CAM figures.

Test images come from a fresh ``shapes`` set (seed 123 by default; training used seeds 1 and
2). Every map explains the TRUE class of its image; each title also gives what the model
predicted. ``--train`` retrains the models with the recipe of :mod:`numpycam.train.recipes` first
(minutes); the retrained models are used for the figures only, the shipped files are untouched.
The figures are drawn by :func:`numpycam.viz.gallery.demo`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from numpycam.commands import int_in, non_negative_int
from numpycam.files.zoo import NAMES, pretrained
from numpycam.train import runner
from numpycam.viz import gallery as viz_gallery


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("figures"),
                        help="folder for the PNGs (default figures/)")
    parser.add_argument("--train", action="store_true",
                        help="retrain the models with the shipped recipe first (takes minutes)")
    parser.add_argument("--n", type=int_in(1, 64), default=4,
                        help="test images per figure (default 4)")
    parser.add_argument("--seed", type=non_negative_int, default=123,
                        help="seed of the test images (default 123; training used 1 and 2)")


def run(args: argparse.Namespace) -> int:
    models = runner.trained_models() if args.train else {k: pretrained(k) for k in NAMES}
    for path in viz_gallery.demo(models, args.out, n=args.n, seed=args.seed):
        print(f"wrote {path}")
    return 0
