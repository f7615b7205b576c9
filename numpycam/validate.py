"""Checks at the public boundary, so a wrong call fails early with a message that helps.

Rules for image batches (used by the model and every map function):
- float arrays are used as they are (float32 and float64 both work);
- integer and boolean arrays are rejected: the library cannot guess the scale (0..255 or 0..1),
  so the message shows the conversion to write, ``x.astype(np.float32) / 255``;
- NaN or infinite values are rejected;
- the layout is NCHW; a single image (C, H, W) must be given as a batch ``x[None]``, and a
  channels-last image (H, W, C) gets a hint to transpose.

Maps (``as_maps``) are (h, w) or (N, h, w) real arrays; sizes (``as_size``) an int or (H, W).
Other modules import these under their public names; nothing here imports numpycam.nn.sequential.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike


class NonFiniteError(FloatingPointError, ValueError):
    """A score or map came out NaN or infinite from finite input: a float overflowed. Both a
    FloatingPointError (what NumPy calls it) and a ValueError (the input needs changing)."""


def check_finite(arr: np.ndarray, what: str, x: np.ndarray | None = None) -> np.ndarray:
    """arr, or NonFiniteError naming ``what`` overflowed and what to do about it."""
    if np.all(np.isfinite(arr)):
        return arr
    scale = f" (the input reaches |x| = {np.max(np.abs(x)):.3g})" if x is not None and x.size else ""
    raise NonFiniteError(
        f"{what} came out NaN or infinite: {arr.dtype} overflowed{scale}. Scale the input "
        "into a normal range (e.g. pixels in [0, 1]), or compute in float64: "
        "model.astype(np.float64) and x.astype(np.float64)")


def as_float_array(x, name: str = "x") -> np.ndarray:
    """Return x as a finite float ndarray, or raise TypeError / ValueError saying what to do."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be a float array, got {type(x).__name__}")
    if isinstance(x, np.ma.MaskedArray):  # np.asarray would drop the mask without a word
        raise TypeError(f"{name} is a masked array; numpycam does not honour masks. Pass the "
                        f"valid images only, or fill the masked values: {name}.filled(0)")
    try:
        arr = np.asarray(x)
    except ValueError:
        raise ValueError(f"{name} is ragged (nested sequences of unequal lengths); give one "
                         "rectangular array") from None
    if arr.dtype == object:
        raise TypeError(f"{name} must be a numeric array, got an array of Python objects")
    if arr.dtype.kind in "biu":
        raise TypeError(
            f"{name} has dtype {arr.dtype}; numpycam works on floats. Convert first, e.g. "
            f"{name}.astype(np.float32) / 255 for 0..255 pixels, or .astype(np.float64)."
        )
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} is complex ({arr.dtype}); give a real float array")
    if arr.dtype.kind != "f":
        raise TypeError(f"{name} must be a float array, got dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s); give finite numbers")
    return arr


def as_images(x, channels: int | None = None, name: str = "x") -> np.ndarray:
    """Check an NCHW image batch: 4-D, finite floats, ``channels`` channels if given."""
    arr = as_float_array(x, name)
    if arr.ndim != 4:
        hint = ""
        if arr.ndim == 3:
            if channels is not None and arr.shape[-1] == channels and arr.shape[0] != channels:
                hint = (
                    f" It looks like one channels-last (H, W, C) image: use "
                    f"{name}.transpose(2, 0, 1)[None]."
                )
            else:
                hint = f" For a single (C, H, W) image use {name}[None]."
        raise ValueError(
            f"{name} must be a batch of images of shape (N, C, H, W), got shape {arr.shape}.{hint}"
        )
    if channels is not None and arr.shape[1] != channels:
        hint = ""
        if arr.shape[3] == channels:
            hint = f" It looks channels-last (N, H, W, C): use {name}.transpose(0, 3, 1, 2)."
        raise ValueError(
            f"{name} has {arr.shape[1]} channels (shape {arr.shape}) but the model expects "
            f"{channels}: shape (N, {channels}, H, W).{hint}"
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is an empty batch (shape {arr.shape}); give at least one image")
    if 0 in arr.shape[1:]:
        raise ValueError(f"{name} has an empty axis (shape {arr.shape}); C, H, W must be >= 1")
    return arr


def class_indices(c, n: int, num_classes: int) -> np.ndarray:
    """Turn ``c`` (an int, or a sequence of n ints) into an int array of shape (n,), checked."""
    if isinstance(c, (bool, np.bool_)) or (isinstance(c, float) and not float(c).is_integer()):
        raise TypeError(f"class index c must be an int or a sequence of ints, got {c!r}")
    if isinstance(c, (int, np.integer)):
        arr = np.full(n, int(c))
    else:
        if not isinstance(c, (Sequence, np.ndarray)):
            raise TypeError(f"class index c must be an int or a sequence of ints, got {type(c).__name__}")
        arr = np.asarray(c)
        if arr.dtype.kind not in "iu" or arr.ndim != 1:
            raise TypeError(
                f"class indices must be a 1-D sequence of ints, got dtype {arr.dtype} shape {arr.shape}"
            )
        if arr.shape[0] != n:
            raise ValueError(f"got {arr.shape[0]} class indices for a batch of {n} images; give one per image")
    bad = (arr < 0) | (arr >= num_classes)
    if np.any(bad):
        raise ValueError(
            f"class index {int(arr[bad][0])} is out of range: this model has {num_classes} classes, "
            f"so c must be in 0..{num_classes - 1}"
        )
    return arr.astype(np.intp)


def as_fraction(value: float, name: str) -> float:
    """``value`` as a float in [0, 1] (a threshold, a share); ValueError naming ``name`` otherwise."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
    return float(value)


def positive_int(value, name: str, minimum: int = 1, hint: str = "") -> int:
    """Check an int option such as a kernel size or a batch size; ``hint`` says what to do."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}" + (f"; {hint}" if hint else ""))
    return int(value)


def as_maps(maps: ArrayLike, name: str = "maps") -> tuple[np.ndarray, bool]:
    """Validate `maps` and return it as a float (N, h, w) array plus "was it a single map?"."""
    arr = np.asarray(maps)
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must be a real-valued array (float, int or bool), got dtype {arr.dtype}; "
            "convert it with np.asarray(..., dtype=float)"
        )
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    if arr.ndim not in (2, 3):
        raise ValueError(
            f"{name} must have shape (h, w) or (N, h, w), got shape {arr.shape}; "
            "stack several maps along a leading batch axis"
        )
    if arr.shape[-1] == 0 or arr.shape[-2] == 0:
        raise ValueError(f"{name} must have h >= 1 and w >= 1, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(
            f"{name} contains NaN or inf; fix the computation that produced it "
            "(or replace them, e.g. with np.nan_to_num) before calling this function"
        )
    single = arr.ndim == 2
    return (arr[None] if single else arr), single  # (N, h, w)


def as_size(size: int | tuple[int, int]) -> tuple[int, int]:
    """Turn `size` (an int or an (H, W) pair of positive ints) into an (H, W) tuple."""
    pair = (size, size) if isinstance(size, numbers.Integral) else size
    try:
        pair = tuple(pair)
    except TypeError:
        pair = ()
    ok = len(pair) == 2 and all(
        isinstance(s, numbers.Integral) and not isinstance(s, bool) and s > 0 for s in pair
    )
    if not ok:
        raise ValueError(
            f"size must be a positive int or a pair (H, W) of positive ints, got {size!r}; "
            "e.g. size=224 or size=(224, 320)"
        )
    return int(pair[0]), int(pair[1])


# What a model must offer for the map functions; checked by attribute so that this module need
# not import numpycam.nn.sequential (which imports this one).
MODEL_API = ("forward", "backward", "activation", "index", "layers", "num_classes", "in_channels")


def model_inputs(model, x, c) -> tuple[np.ndarray, np.ndarray]:
    """(x, c) checked for a map function: a numpycam model, an NCHW batch with the model's
    channels, and one valid class index per image (an int is repeated for every image)."""
    if not all(hasattr(model, a) for a in MODEL_API):
        raise TypeError(f"model must be a numpycam Sequential, got {type(model).__name__}")
    x = as_images(x, model.in_channels)
    return x, class_indices(c, x.shape[0], model.num_classes)


def as_boxes(boxes, name: str) -> np.ndarray:
    """Validate an array of boxes of shape (..., 4) with x1 >= x0 and y1 >= y0."""
    arr = np.asarray(boxes)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold int or float coordinates, got dtype {arr.dtype}")
    if arr.ndim == 0 or arr.shape[-1] != 4:
        raise ValueError(
            f"{name} must have shape (..., 4) holding (x0, y0, x1, y1), got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf; every coordinate must be finite")
    if np.any(arr[..., 2] < arr[..., 0]) or np.any(arr[..., 3] < arr[..., 1]):
        raise ValueError(
            f"{name} has a box with x1 < x0 or y1 < y0; boxes are (x0, y0, x1, y1) with "
            "exclusive ends x1 >= x0, y1 >= y0 (did you pass (y0, x0, y1, x1) or (x, y, w, h)?)"
        )
    return arr


def check_layer_name(name) -> str:
    """A layer name is a non-empty string without "/" (paths such as ``block3/conv`` join names
    with "/"); ``load`` applies the same rule, so ``save`` never writes a name it refuses."""
    if not isinstance(name, str):
        raise TypeError(f"a layer name must be a string, got {name!r} ({type(name).__name__})")
    if not name or "/" in name or len(name) > 200:
        raise ValueError(f"layer name {name!r} must be 1 to 200 characters without '/'")
    return name
