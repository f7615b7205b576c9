"""``numpycam explain IMAGE``: the ImageNet network's top classes for a photo, and why.

IMAGE is a PNG or JPEG file, or the name of a photo shipped with numpycam (chelsea, coffee,
rocket). Prints the top-K classes with their probabilities and writes one figure per class
(the photo, guided backprop, the method's map, Guided Grad-CAM and CAM) into --out. The work
is done by ``numpycam.imagenet.explainer.explain_photo``; the figures by ``numpycam.viz.photos``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from numpycam.commands import int_in
from numpycam.imagenet.explainer import explain_photo, offered_methods
from numpycam.viz import photos as viz_photos


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("image", help="a PNG/JPEG file, or a shipped photo: chelsea, coffee, rocket")
    parser.add_argument("--classes", nargs="+", metavar="CLASS",
                        help="classes to explain, by index (0-999) or name ('tiger cat'); "
                             "default: the top K")
    parser.add_argument("--top", type=int_in(1, 1000), default=3, metavar="K",
                        help="how many of the most probable classes to print (and explain; default 3)")
    parser.add_argument("--method", default="grad_cam",
                        help=f"the class map: one of {', '.join(offered_methods())} "
                             "(default grad_cam)")
    parser.add_argument("--layer", default=None,
                        help="the layer of the map, e.g. block12 (default: the last conv layer)")
    parser.add_argument("--out", type=Path, default=Path("explain"),
                        help="folder for the figures (default ./explain)")


def run(args: argparse.Namespace) -> int:
    start = time.perf_counter()

    def progress(message: str) -> None:
        print(f"  [{time.perf_counter() - start:4.1f} s] {message} ...", file=sys.stderr, flush=True)

    try:
        result = explain_photo(args.image, classes=args.classes, top=args.top, method=args.method,
                               layer=args.layer, progress=progress)
    except (ValueError, OSError) as err:  # a bad photo, class, method or layer: a usage error
        return _usage(str(err))
    print(f"{args.image}: top {len(result.top)} of 1000 ImageNet classes")
    for rank, (k, name, p) in enumerate(result.top, 1):
        print(f"  {rank:2d}. {name:30s} p = {p:.3f}   (class {k})")
    if args.classes:
        print("explained:")
        for k, name, p in result.classes:
            rank = int((result.scores > result.scores[k]).sum()) + 1
            print(f"      {name:30s} p = {p:.3f}   (class {k}, #{rank})")
    progress("drawing the figures")
    written = viz_photos.save_explanations(result, args.out, Path(args.image).stem)
    print(f"wrote {len(written)} figure{'s' if len(written) > 1 else ''} "
          f"({viz_photos.title_of(result.method)} at {result.layer}) in {time.perf_counter() - start:.1f} s:")
    for path in written:
        print(f"  {path}")
    return 0


def _usage(message: str) -> int:
    print(f"numpycam explain: error: {message}", file=sys.stderr)
    return 2
