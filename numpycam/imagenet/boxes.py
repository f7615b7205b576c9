"""Photos shipped with numpycam, their hand-drawn boxes, and a picture holding two objects.

    image = numpycam.imagenet.photos.load_image("chelsea")   # (300, 451, 3) in [0, 1]
    box = photo_box("chelsea")                        # (x0, y0, x1, y1), the cat
    scene, boxes = two_objects()                      # the cat beside the espresso cup

Boxes are (x0, y0, x1, y1) in the photo's pixels, x = column, y = row, ends exclusive (the
convention of :func:`numpycam.iou`). Origins and licences: ``imagenet_data/SOURCES.md``.
"""

from __future__ import annotations

import functools
import json

import numpy as np

from numpycam.imagenet.photos import DATA, PHOTOS, check_photo_name, load_image, photo_path, resize

# ImageNet classes 281-285: tabby, tiger cat, Persian cat, Siamese cat, Egyptian cat
CAT_CLASSES = (281, 282, 283, 284, 285)

__all__ = ["CAT_CLASSES", "PHOTOS", "photo_box", "photo_path", "two_objects"]




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
