"""Reading one image file safely: the size bounded before decoding, EXIF turned, bits scaled.

    image = read_image("photo.jpg")      # (H, W, 3) float64 in [0, 1]

Every image numpycam reads from a file comes through ``read_image`` (with Pillow, which
matplotlib already depends on). The rules, in the order they are applied:

    1. only a regular file is opened (a FIFO or a device is refused at once, never read);
    2. only the formats of FORMATS are tried (PNG, JPEG, WebP, TIFF, GIF, BMP);
    3. the size in the header is checked BEFORE decoding: over 2 x MAX_PIXELS Pillow refuses
       it; a JPEG larger than LOAD_PIXELS is decoded at 1/2, 1/4 or 1/8 scale (Pillow's
       ``draft``, the least reduction that fits); a file that would still decode to more than
       MAX_PIXELS (Pillow's limit, which matplotlib skipped for PNG) is refused;
    4. the EXIF orientation is applied (the photo as every viewer shows it);
    5. any image still above LOAD_PIXELS is reduced right after decoding by the smallest whole
       factor s that fits (Pillow's ``reduce``: the mean of s x s blocks);
    6. the pixels are scaled to [0, 1]: 8-bit data / 255, 16-bit data / 65535; 32-bit integer
       and float data are kept if they lie in [0, 1], else stretched: (v - min) / (max - min);
       alpha is composited over white (:func:`numpycam.imagenet.preprocess.to_rgb`).

An animated GIF or a multi-page TIFF gives its first frame.
"""

from __future__ import annotations

import os
import stat
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from numpycam.imagenet.preprocess import to_rgb

MAX_PIXELS = 89_478_485  # Pillow's MAX_IMAGE_PIXELS: at most this many decoded pixels (about 0.25 GiB in RGB)
LOAD_PIXELS = 2**22  # larger photos are returned reduced (a 2048 x 2048 photo is 100 MB in float64)
FORMATS = ("PNG", "JPEG", "WEBP", "TIFF", "GIF", "BMP")  # JPEG includes MPO, a phone's multi-picture JPEG
_SIXTEEN_BITS = ("I;16", "I;16L", "I;16B", "I;16N")

__all__ = ["FORMATS", "LOAD_PIXELS", "MAX_PIXELS", "read_image"]


def _open_regular(path: Path):
    """The file opened for reading, or a ValueError if it is not a regular file (never blocks)."""
    kind = stat.S_IFMT(os.stat(path).st_mode)
    if kind != stat.S_IFREG:
        what = {stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFCHR: "a character device",
                stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket"}.get(kind, "not a regular file")
        raise ValueError(f"{str(path)!r} is {what}, not an image file; give a regular file")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO swapped in since: no wait
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ValueError(f"{str(path)!r} is not a regular file; give an image file")
    return os.fdopen(fd, "rb")


def _factor(w: int, h: int, choices=None) -> int:
    """The smallest reduction s (from ``choices``, or any whole number) with (w/s)(h/s) <= LOAD_PIXELS."""
    s = 1
    while -(-w // s) * -(-h // s) > LOAD_PIXELS and (choices is None or s < max(choices)):
        s = s * 2 if choices else s + 1
    return s


def _pixels(im, sixteen: bool, say) -> np.ndarray:
    """A decoded Pillow image's pixels (mode L, RGB, RGBA, I or F) scaled by rule 6 above."""
    if sixteen:
        return np.asarray(im, dtype=np.float64) / 65535.0  # (H, W)
    if im.mode in ("I", "F"):
        a = np.asarray(im, dtype=np.float64)  # (H, W)
        if not np.isfinite(a).all():
            raise ValueError("the image holds NaN or infinite pixel values; numpycam needs finite ones")
        lo, hi = float(a.min()), float(a.max())
        if lo < 0 or hi > 1:
            say(f"{'float' if im.mode == 'F' else '32-bit integer'} pixels in [{lo:.4g}, {hi:.4g}] "
                "stretched to [0, 1]")
            a = (a - lo) / ((hi - lo) or 1.0)
        return a
    return np.asarray(im, dtype=np.uint8)  # (H, W), (H, W, 3) or (H, W, 4)


def read_image(path, progress: Callable[[str], None] | None = None) -> np.ndarray:
    """An image file as (H, W, 3) float64 in [0, 1], by the rules of this module's docstring.

    ``progress``, if given, is told before a large file is decoded and when pixels are
    rescaled. Every failure is a ValueError saying what was wrong (FileNotFoundError and
    IsADirectoryError for a missing file or a folder).
    """
    from PIL import Image, ImageOps

    path = Path(os.fsdecode(path)).expanduser()
    say = progress or (lambda message: None)
    name = str(path)
    with _open_regular(path) as fp, warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the checks below say it
        warnings.simplefilter("ignore", UserWarning)  # Pillow's notes on damaged EXIF tags it skips
        try:
            im = Image.open(fp, formats=FORMATS)
        except Image.DecompressionBombError:
            raise ValueError(f"{name!r} claims more than {2 * MAX_PIXELS:,} pixels; refused before "
                             "decoding (a decompression bomb, or a photo too large: shrink it first)") from None
        except Exception as err:  # Pillow raises many types for a file it cannot read
            why = ("an empty file" if os.fstat(fp.fileno()).st_size == 0 else "not a format numpycam reads"
                   if isinstance(err, Image.UnidentifiedImageError) else f"{type(err).__name__}: {err}")
            raise ValueError(f"cannot read {name!r} as an image ({why}); give a PNG, JPEG, WebP, TIFF, "
                             "GIF or BMP file") from None
        w, h = im.size
        s = _factor(w, h, (1, 2, 4, 8)) if im.format in ("JPEG", "MPO") else 1
        if s > 1:
            im.draft(im.mode, (w // s, h // s))  # decode at 1/s scale: s x fewer rows and columns
        dw, dh = im.size
        if dw * dh > MAX_PIXELS or 0 in (dw, dh):
            raise ValueError(f"{name!r} is {w} x {h} pixels; numpycam decodes at most {MAX_PIXELS:,} "
                             "(Pillow's limit): shrink it first")
        if w * h > LOAD_PIXELS:
            say(f"reading {name} ({w} x {h} {im.format})" + (f" at 1/{s} scale" if s > 1 else ""))
        try:
            im.load()
            ImageOps.exif_transpose(im, in_place=True)  # as every viewer shows it
            sixteen = im.mode in _SIXTEEN_BITS
            alpha = im.mode in ("LA", "La", "PA", "RGBA", "RGBa") or "transparency" in im.info
            if sixteen:
                im = im.convert("I")  # 16-bit values in a 32-bit integer image (Pillow reduces those)
            elif im.mode not in ("L", "RGB", "RGBA", "I", "F") or (alpha and im.mode != "RGBA"):
                im = im.convert("RGBA" if alpha else "L" if im.mode == "1" else "RGB")  # palette, CMYK, ...
            r = _factor(*im.size)
            if r > 1:
                say(f"reducing {im.size[0]} x {im.size[1]} pixels by {r}")
                im = im.reduce(r)  # (w / r, h / r): the mean of r x r blocks
        except (OSError, ValueError, SyntaxError, MemoryError, EOFError) as err:
            raise ValueError(f"cannot decode {name!r} ({type(err).__name__}: {err}); is the file complete?"
                             ) from None
    return to_rgb(_pixels(im, sixteen, say))  # (H, W, 3)
