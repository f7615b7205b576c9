"""``numpycam explain IMAGE...``: the ImageNet network's top classes for photos, and why.

Each IMAGE is a photo file, a folder (its PNG and JPEG files, sorted by name; not its
subfolders), or the name of a photo shipped with numpycam (chelsea, coffee, rocket). The network
is loaded once; the photos are explained one after the other (one progress line each on
stderr when there are several), each class of each photo on its own, so memory is that of one
image and one class. For each photo it prints the top-K classes with their probabilities and
writes one figure per class (the photo, guided backprop, the method's map, Guided Grad-CAM and
CAM) into --out, named ``<photo>_<n>_<class>.png`` (a photo whose name was already used gets
``_2``, ``_3``, ...), and at the end ``results.csv`` and ``results.json``: one row per figure.
The maths is ``numpycam.imagenet.explainer``; the figures ``numpycam.viz.photos``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from numpycam.commands import int_in
from numpycam.commands.output import output_folder, prepare_output
from numpycam.evaluation.localize import box_from_map
from numpycam.imagenet.explainer import (
    MAX_CLASSES,
    explain_classes,
    layer_index,
    lookup_method,
    offered_methods,
    wanted_classes,
)
from numpycam.imagenet.photos import PHOTOS, load_image
from numpycam.imagenet.weights import efficientnet_lite0_pretrained
from numpycam.methods.postprocess import upsample
from numpycam.viz import photos as viz_photos

SUFFIXES = (".png", ".jpg", ".jpeg")  # the photos taken from a folder
COLUMNS = ("file", "rank", "class", "name", "probability", "method", "layer", "peak_row", "peak_col",
           "box_x0", "box_y0", "box_x1", "box_y1", "figure")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("image", nargs="+",
                        help="photo files (PNG, JPEG), folders of them, or shipped photos: chelsea, coffee, rocket")
    parser.add_argument("--classes", action="append", metavar="CLASS[,CLASS...]",
                        help="classes to explain, by index (0-999) or name, comma-separated "
                             "('tiger cat,281'; the option may be repeated; duplicates merged; "
                             f"at most {MAX_CLASSES}); default: the top K")
    parser.add_argument("--top", type=int_in(1, MAX_CLASSES, " classes"), default=3, metavar="K",
                        help=f"how many of the most probable classes to print (and explain; default 3, "
                             f"at most {MAX_CLASSES}: each is one figure per photo)")
    parser.add_argument("--method", default="grad_cam",
                        help=f"the class map: one of {', '.join(offered_methods())} "
                             "(default grad_cam)")
    parser.add_argument("--layer", default=None,
                        help="the layer of the map, e.g. block12 (default: the last conv layer)")
    parser.add_argument("--out", type=output_folder, default=Path("explain"),
                        help="folder for the figures, results.csv and results.json (default ./explain)")


def photo_list(images: list[str]) -> list[str]:
    """The photos named on the command line, folders expanded, repeats dropped; a ValueError
    for a missing file or a folder without photos (before the network is loaded)."""
    photos = []
    for item in images:
        path = Path(item).expanduser()
        if path.is_dir():
            found = sorted(str(p) for p in path.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file())
            if not found:
                raise ValueError(f"the folder {item!r} holds no PNG or JPEG file")
            photos += found
        elif path.exists() or item in PHOTOS:
            photos.append(item)
        else:
            raise FileNotFoundError(f"no such image file: {item!r} (the shipped photos are {', '.join(PHOTOS)})")
    return list(dict.fromkeys(photos))


def result_row(photo: str, result, figure: Path) -> dict:
    """One row of results.csv for a one-class explanation: the class, its rank among the 1000,
    the map's peak (row, col) and its box (x0, y0, x1, y1; box_from_map, 20 % of the maximum),
    both in pixels of the 224 x 224 crop the network saw."""
    k, name, p = result.classes[0]
    size = result.crop.shape[:2]
    up = upsample(result.maps, size)[0]  # (224, 224): the map as the box sees it
    peak = np.unravel_index(int(np.argmax(up)), size)
    box = box_from_map(result.maps[0], size=size)
    values = (_text(photo), int((result.scores > result.scores[k]).sum()) + 1, k, name, p, result.method,
              result.layer, int(peak[0]), int(peak[1]), *(int(v) for v in box), _text(figure))
    return dict(zip(COLUMNS, values, strict=True))


def _text(path) -> str:
    """A file name as text for the results: bytes that are not UTF-8 (Linux allows any) escaped,
    e.g. caf\\xe9.jpg, so the row is written rather than failing after its figure was saved."""
    return os.fsencode(str(path)).decode("utf-8", "backslashreplace")


class Results:
    """``results.csv`` and ``results.json`` in ``out``, written a row at a time as each figure is
    written: memory does not grow with the photos, and an interrupted run keeps one row per
    figure written so far (``close`` ends the JSON list)."""

    def __init__(self, out: Path) -> None:
        self.paths, self.rows, self._files = (out / "results.csv", out / "results.json"), 0, None

    def add(self, row: dict) -> None:
        if self._files is None:  # opened at the first row: a run that explains nothing writes nothing
            self.paths[0].parent.mkdir(parents=True, exist_ok=True)
            self._files = [open(path, "w", newline="", encoding="utf-8") for path in self.paths]
            self._csv = csv.DictWriter(self._files[0], fieldnames=COLUMNS)
            self._csv.writeheader()
            self._files[1].write("[")
        self._csv.writerow(row)
        self._files[1].write(("," if self.rows else "") + "\n " + json.dumps(row))
        self.rows += 1
        for f in self._files:
            f.flush()

    def close(self) -> None:
        if self._files is not None:
            self._files[1].write("\n]\n")
            for f in self._files:
                f.close()
            self._files = None


def _unique_stem(photo: str, used: set) -> str:
    stem = base = viz_photos.slug(Path(photo).stem)
    n = 1
    while stem in used:
        n += 1
        stem = f"{base}_{n}"
    used.add(stem)
    return stem


def run(args: argparse.Namespace) -> int:
    start = time.perf_counter()

    def progress(message: str) -> None:
        print(f"  [{time.perf_counter() - start:4.1f} s] {message} ...", file=sys.stderr, flush=True)

    try:  # every argument is checked before the network is loaded
        lookup_method(args.method)
        if args.classes is not None:
            asked = [c.strip() for v in args.classes for c in v.split(",") if c.strip()]
            if not asked:
                raise ValueError("--classes names no class; give names or indices, e.g. --classes 'tiger cat,281'")
            args.classes = wanted_classes(asked)
        photos = photo_list(args.image)
    except (ValueError, OSError) as err:
        return _usage(str(err))
    prepare_output(args.out, command="explain")  # refuses /, home, the checkout, links leading out
    results = Results(args.out)
    try:
        failed = _explain_all(photos, args, results, start, progress)
    finally:
        results.close()
    if results.rows:
        print(f"results: {results.paths[0]}, {results.paths[1]} ({results.rows} "
              f"row{'s' if results.rows > 1 else ''}, one per figure)")
    if failed is None or failed:  # None: the one photo, or the layer, was a usage error
        if failed:
            print(f"numpycam explain: {failed} of {len(photos)} photos could not be explained (above)",
                  file=sys.stderr)
        return 2
    return 0


def _explain_all(photos, args, results, start, progress) -> int | None:
    """Explain every photo, the network loaded once; the number of unreadable photos, or None
    after a usage error (one photo unreadable, or no such layer)."""
    many = len(photos) > 1
    model, used, failed = None, set(), 0
    for n, photo in enumerate(photos, 1):
        if many:
            progress(f"photo {n}/{len(photos)}: {photo}")
        try:
            image = load_image(photo, progress=progress)  # a line when a big photo takes long
        except (ValueError, OSError) as err:  # an unreadable photo: a usage error
            if not many:
                _usage(str(err))
                return None
            print(f"numpycam explain: error: {err}", file=sys.stderr)
            failed += 1
            continue
        if model is None:  # once, at the first photo that could be read
            progress("loading the efficientnet_lite0 network")
            model = efficientnet_lite0_pretrained()
            try:
                layer_index(model, args.method, args.layer)
            except ValueError as err:  # no such layer
                _usage(str(err))
                return None
        parts = explain_classes(image, model, classes=args.classes, top=args.top, method=args.method,
                                layer=args.layer, progress=None if many else progress)
        for path in _explain_one(photo, parts, args, _unique_stem(photo, used), results, start,
                                 None if many else progress):
            print(f"  {path}")
    return failed


def _explain_one(photo, parts, args, stem, results, start, progress) -> list[Path]:
    """Explain, print and draw one photo, one class at a time, each with its row of results."""
    written = []
    for i, result in enumerate(parts):
        if i == 0:
            _print_classes(photo, result, args.classes)
            if progress:
                progress("drawing the figures")
        (path,) = viz_photos.save_explanations(result, args.out, stem, first=i + 1)
        if args.classes:
            k, name, p = result.classes[0]
            print(f"      {name:30s} p = {p:.3f}   (class {k}, #{int((result.scores > result.scores[k]).sum()) + 1})")
        written.append(path)
        results.add(result_row(photo, result, path))
    print(f"wrote {len(written)} figure{'s' if len(written) > 1 else ''} "
          f"({viz_photos.title_of(result.method)} at {result.layer}) in {time.perf_counter() - start:.1f} s:")
    return written


def _print_classes(photo, result, asked) -> None:
    print(f"{photo}: top {len(result.top)} of 1000 ImageNet classes")
    for rank, (k, name, p) in enumerate(result.top, 1):
        print(f"  {rank:2d}. {name:30s} p = {p:.3f}   (class {k})")
    if asked:
        print("explained:")


def _usage(message: str) -> int:
    print(f"numpycam explain: error: {message}", file=sys.stderr)
    return 2
