"""The photos shipped with numpycam, loading any photo, the photos' boxes, and a picture of two.

    image = load_image("chelsea")        # a shipped photo by name, or an image file: (300, 451, 3)
    box = photo_box("chelsea")           # (x0, y0, x1, y1), the cat, in the photo's pixels
    scene, boxes = two_objects()         # the cat beside the espresso cup, with both boxes

Images are (H, W, 3) float64 arrays with values in [0, 1] (row i, column j, channel RGB). Boxes
are (x0, y0, x1, y1) in the photo's pixels, x = column, y = row, ends exclusive (the convention
of :func:`numpycam.iou`). The files live in ``numpycam/imagenet/data/``; their origins and
licences in ``numpycam/imagenet/data/SOURCES.md``.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from numpycam.imagenet.imagefile import read_image
from numpycam.imagenet.preprocess import SIZE, resize

DATA = Path(__file__).resolve().parent / "data"
# the photos shipped in DATA (name -> what it shows); their boxes are in DATA / "boxes.json"
PHOTOS = {
    "chelsea": "Chelsea the cat (CC0, from scikit-image)",
    "coffee": "an espresso cup on a saucer (CC0, from scikit-image)",
    "rocket": "a Falcon 9 rocket on its launch pad (public domain, from scikit-image)",
}
MIN_SIDE = 32  # smaller photos hold too little for a 224 x 224 network: refused

__all__ = ["MIN_SIDE", "PHOTOS", "load_image", "photo_box", "photo_object", "photo_path", "two_objects"]


def check_photo_name(name: str) -> str:
    """``name`` if it names a shipped photo, else a ValueError listing them."""
    if name not in PHOTOS:
        raise ValueError(f"no shipped photo named {name!r}; the shipped photos are {', '.join(PHOTOS)}")
    return name


def photo_path(name: str) -> Path:
    """Path of a shipped photo's file."""
    return DATA / f"{check_photo_name(name)}.jpg"


def load_image(path_or_name: str | Path, progress: Callable[[str], None] | None = None) -> np.ndarray:
    """A photo as (H, W, 3) float64 in [0, 1]: an image file, or a shipped photo's name.

    Files are read by :func:`numpycam.imagenet.imagefile.read_image` (Pillow; PNG, JPEG, WebP,
    TIFF, GIF or BMP): the size is bounded before decoding, a photo over LOAD_PIXELS comes back
    reduced, the EXIF orientation is applied, 16-bit and float data are scaled to [0, 1].
    ``progress``, if given, is told before a large file is decoded. A photo smaller than
    MIN_SIDE pixels on either side is refused.
    """
    key = os.fsdecode(path_or_name) if isinstance(path_or_name, (str, bytes, os.PathLike)) else str(path_or_name)
    if key in PHOTOS and not Path(key).exists():
        path = photo_path(key)
    else:
        path = Path(key).expanduser()
        if not path.exists():
            raise FileNotFoundError(f"no such image file: {str(path)!r} (the shipped photos are "
                                    f"{', '.join(PHOTOS)})")
        if path.is_dir():
            raise IsADirectoryError(f"{str(path)!r} is a folder; give an image file (PNG, JPEG, ...)")
    image = read_image(path, progress)
    h, w = image.shape[:2]
    if min(h, w) < MIN_SIDE:
        raise ValueError(f"{str(path)!r} is {w} x {h} pixels; numpycam needs at least {MIN_SIDE} x {MIN_SIDE} "
                         f"(the network sees {SIZE} x {SIZE})")
    return image


@functools.cache
def _boxes() -> dict:
    return json.loads((DATA / "boxes.json").read_text(encoding="utf-8"))


def photo_box(name: str) -> np.ndarray:
    """The hand-drawn box (x0, y0, x1, y1) of a shipped photo's main object, int64 (4,)."""
    return np.array(_boxes()[check_photo_name(name)]["box"], dtype=np.int64)


def photo_object(name: str) -> str:
    """What the hand-drawn box of a shipped photo holds, in words."""
    return _boxes()[check_photo_name(name)]["object"]


# Square windows (x0, y0, side) cut from each photo for the two-object picture: each holds its
# object's whole hand-drawn box across its width or height.
_WINDOWS = {"chelsea": (40, 0, 300), "coffee": (79, 0, 400)}


def two_objects(tile: int = 224) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The cat and the espresso cup side by side: the post's "dog and cat" idea with our photos.

    A square window around each object (cat: columns 40-339 of chelsea; cup: columns 79-478 of
    coffee) is resized to tile x tile and the two tiles are set side by side in the middle rows
    of a 2 tile x 2 tile grey canvas (grey 0.5 is exactly 0 after normalisation, so the bands
    add nothing). The canvas is square so that the centre crop of ``preprocess`` keeps both
    objects (it trims 1/16 of the width from each side).

    Returns:
        image (2 tile, 2 tile, 3) in [0, 1], and {"chelsea": box, "coffee": box}: each photo's
        hand-drawn box carried into the picture (clipped to its window), int64 (4,).
    """
    side = 2 * tile
    canvas = np.full((side, side, 3), 0.5)
    top = (side - tile) // 2
    boxes = {}
    for k, (name, (x0, y0, n)) in enumerate(_WINDOWS.items()):
        window = load_image(name)[y0 : y0 + n, x0 : x0 + n]
        left = k * tile
        canvas[top : top + tile, left : left + tile] = resize(window, (tile, tile))
        b = photo_box(name).astype(np.float64) - [x0, y0, x0, y0]
        b = np.clip(b, 0, n) * tile / n + [left, top, left, top]
        boxes[name] = np.round(b).astype(np.int64)
    return np.clip(canvas, 0.0, 1.0), boxes
