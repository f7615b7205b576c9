"""The preprocessing the EfficientNet-Lite0 weights expect: a photo -> the network's input x.

    x = preprocess(image)            # (H, W, 3) in [0, 1] -> (1, 3, 224, 224) float32
    crop = crop_from_input(x)        # back: the 224 x 224 crop the network saw, in [0, 1]

Images are (H, W, 3) float64 arrays with values in [0, 1] (row i, column j, channel RGB), the
layout matplotlib draws; the network takes NCHW batches, so ``preprocess`` transposes. The
steps (chosen by trying candidates; see ``preprocess``):

    1. resize so that the shorter side is 256 pixels (antialiased bilinear, aspect kept)
    2. cut the central 224 x 224 square
    3. x = (image - 0.5) / 0.5, i.e. values in [-1, 1], the same for all three channels
"""

from __future__ import annotations

import numpy as np

SIZE = 224  # the network's input: SIZE x SIZE pixels
RESIZE = 256  # shorter side before the centre crop (224 / 256 = 0.875 of it is kept)
MEAN, STD = 0.5, 0.5  # x = (image - MEAN) / STD, per channel alike: [0, 1] -> [-1, 1]

__all__ = ["SIZE", "box_in_crop", "center_crop", "crop_from_input", "preprocess", "resize", "to_rgb"]


def to_rgb(a) -> np.ndarray:
    """Any image array as (H, W, 3) float64 in [0, 1].

    Accepts (H, W) greyscale, (H, W, 1), (H, W, 2) greyscale + alpha, (H, W, 3) RGB and
    (H, W, 4) RGBA. Integer images are divided by their type's maximum (255 for uint8);
    float images must already lie in [0, 1]. Alpha is composited over white:
    rgb = alpha * rgb + (1 - alpha).
    """
    a = np.asarray(a)
    if a.dtype == bool or not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
        raise TypeError(f"an image must hold integers or floats, got dtype {a.dtype}")
    if np.issubdtype(a.dtype, np.integer):
        a = a / float(np.iinfo(a.dtype).max)
    else:
        a = a.astype(np.float64)
        if not np.isfinite(a).all():
            raise ValueError("the image holds NaN or infinite values")
        if a.size and (a.min() < 0 or a.max() > 1):
            raise ValueError(f"a float image must lie in [0, 1], got values in [{a.min():.3g}, {a.max():.3g}]; "
                             "divide by 255 if it holds 0-255 values")
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or a.shape[2] not in (1, 2, 3, 4):
        raise ValueError(f"expected an image (H, W), (H, W, 1), (H, W, 2), (H, W, 3) or (H, W, 4); got {a.shape}")
    if 0 in a.shape[:2]:
        raise ValueError(f"the image is empty ({a.shape[0]} x {a.shape[1]} pixels); give one with pixels")
    colour, alpha = (a[:, :, :-1], a[:, :, -1:]) if a.shape[2] in (2, 4) else (a, None)
    if alpha is not None:
        colour = alpha * colour + (1.0 - alpha)  # over a white background
    rgb = np.repeat(colour, 3, axis=2) if colour.shape[2] == 1 else colour
    return np.ascontiguousarray(rgb)  # (H, W, 3)


def _resize_matrix(n_in: int, n_out: int, first: int = 0, count: int | None = None):
    """Weights (count, m) of an antialiased linear resize along one axis, and where they start.

    Output pixel i is centred at u_i = (i + 0.5) n_in / n_out in input coordinates; it averages
    the input pixels j with a triangle of half-width r = max(n_in / n_out, 1):
    weight_ij proportional to max(0, 1 - |j + 0.5 - u_i| / r), each row summing to 1. When
    shrinking, r spans every input pixel the output pixel covers (no aliasing); when growing,
    it is ordinary linear interpolation. Only the outputs first .. first + count - 1 are made,
    and only the input pixels j0 .. j0 + m - 1 that they touch: returns (weights, j0).
    """
    count = n_out - first if count is None else count
    scale = n_in / n_out
    r = max(scale, 1.0)
    u = (np.arange(first, first + count) + 0.5) * scale  # (count,)
    j0 = max(int(np.floor(u[0] - r - 0.5)), 0)  # every j outside j0 .. j1 - 1 has weight 0
    j1 = min(int(np.ceil(u[-1] + r - 0.5)) + 1, n_in)
    d = np.abs(np.arange(j0, j1) + 0.5 - u[:, None]) / r  # (count, m)
    w = np.clip(1.0 - d, 0.0, None)
    return w / w.sum(axis=1, keepdims=True), j0


def _block_mean(a: np.ndarray, sh: int, sw: int) -> np.ndarray:
    """Mean over sh x sw blocks (ragged last rows and columns dropped): (H, W, C) -> (H // sh, W // sw, C)."""
    H, W = a.shape[0] // sh * sh, a.shape[1] // sw * sw
    return a[:H, :W].reshape(H // sh, sh, W // sw, sw, -1).mean(axis=(1, 3))


def _resize_window(a, size, top: int = 0, left: int = 0, out=None) -> np.ndarray:
    """``resize(a, size)[top : top + out[0], left : left + out[1]]``, computing only that window.

    A photo much larger than the target is first averaged over s x s blocks (s = the whole
    factor that keeps it at least twice the target), then along each axis alone while that axis
    is still over four times its target (a thin panorama); the rest is two small banded matrices.
    """
    a = np.asarray(a, dtype=np.float64)
    h, w = (int(v) for v in size)
    oh, ow = out if out is not None else (h, w)
    if a.ndim != 3 or min(h, w, oh, ow) < 1 or 0 in a.shape:
        raise ValueError(f"resize takes a non-empty (H, W, C) image and a size (h, w) >= 1; got {a.shape} and {size}")
    s = min(a.shape[0] // (2 * h), a.shape[1] // (2 * w))
    if s >= 2:
        a = _block_mean(a, s, s)
    sh, sw = a.shape[0] // (2 * h), a.shape[1] // (2 * w)
    if max(sh, sw) >= 2:  # only a thin panorama gets here: s above already took a photo near 2x
        a = _block_mean(a, max(sh, 1), max(sw, 1))
    rows, j0 = _resize_matrix(a.shape[0], h, top, oh)  # (oh, m), its first input row j0
    cols, k0 = _resize_matrix(a.shape[1], w, left, ow)  # (ow, n)
    a = a[j0 : j0 + rows.shape[1], k0 : k0 + cols.shape[1]]  # the input pixels the window reads
    t = (rows @ a.reshape(a.shape[0], -1)).reshape(oh, a.shape[1], -1)  # (oh, n, C)
    return cols @ t  # (ow, n) @ (oh, n, C) -> (oh, ow, C)


def resize(image, size: tuple[int, int]) -> np.ndarray:
    """(H, W, C) -> (h, w, C) = ``size``, antialiased bilinear, in float64.

    The work and memory are bounded by the output and the pixels it reads (thin panoramas
    too): large photos are first block-averaged, then each output pixel reads only the input
    pixels of its triangle (see ``_resize_matrix``).
    """
    return _resize_window(image, size)


def _crop_geometry(H: int, W: int, size: int, shorter: int):
    """(h, w, top, left): the resized photo's size and where the central size x size starts."""
    if H <= W:
        h, w = shorter, max(shorter, round(W * shorter / H))
    else:
        h, w = max(shorter, round(H * shorter / W)), shorter
    return h, w, (h - size) // 2, (w - size) // 2


def center_crop(image, size: int = SIZE, shorter: int = RESIZE) -> np.ndarray:
    """Resize so that the shorter side is ``shorter`` pixels, then cut the central size x size."""
    a = np.asarray(image)
    if a.ndim != 3 or 0 in a.shape:
        raise ValueError(f"center_crop takes a non-empty (H, W, C) image; got shape {a.shape}")
    h, w, top, left = _crop_geometry(a.shape[0], a.shape[1], size, shorter)
    return _resize_window(a, (h, w), top, left, (size, size))


def box_in_crop(box, image_shape, size: int = SIZE, shorter: int = RESIZE) -> np.ndarray:
    """A box (x0, y0, x1, y1) in a photo's pixels carried into the crop of :func:`preprocess`.

        x' = clip(x * w / W - left, 0, size),   y' = clip(y * h / H - top, 0, size)

    with (h, w) the resized photo and (top, left) the crop's corner; rounded to int64 (4,).
    """
    H, W = image_shape[:2]
    h, w, top, left = _crop_geometry(H, W, size, shorter)
    x0, y0, x1, y1 = np.asarray(box, dtype=np.float64)
    out = [x0 * w / W - left, y0 * h / H - top, x1 * w / W - left, y1 * h / H - top]
    return np.round(np.clip(out, 0, size)).astype(np.int64)


def preprocess(image) -> np.ndarray:
    """A photo (H, W, 3) in [0, 1] (or anything :func:`to_rgb` takes) -> x (1, 3, 224, 224) float32.

        x = (centre_crop_224(resize_shorter_side_256(image)) - 0.5) / 0.5

    How this was chosen (benchmarks/imagenet_preprocessing.py, PyTorch running the same
    weights): six candidates, the geometry (shorter side 256 then the central 224, shorter side
    224 then the central 224, or the whole photo squeezed to 224 x 224) times the normalisation
    ([-1, 1], or the ImageNet channel mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225)).
    Probability of the right class(es), chelsea (cat classes) / coffee (espresso) / rocket
    (missile, projectile, space shuttle) / the two-object picture (cat classes + espresso):

        256 crop, [-1, 1]   0.92 / 0.94 / 0.55 / 0.76     (this function)
        256 crop, mean/std  0.88 / 0.83 / 0.50 / 0.72
        224 crop, [-1, 1]   0.89 / 0.93 / 0.46 / 0.63
        224 crop, mean/std  0.83 / 0.85 / 0.36 / 0.69
        squeezed, [-1, 1]   0.96 / 0.88 / 0.14 / 0.63
        squeezed, mean/std  0.97 / 0.86 / 0.46 / 0.69

    (numpycam's own network, once built, gave the same table to the two printed decimals.)
    Every candidate puts a right class first on these photos except the squeezed [-1, 1] one
    on the rocket; the chosen one is the most probable on three of the four. It is also the
    recipe of Google's TensorFlow EfficientNet-Lite, from which the weights were converted:
    inputs (pixel - 127) / 128 and an evaluation crop of 224 / (224 + 32) of the shorter side.
    (On matplotlib's grace_hopper.jpg, a portrait photo, the 256 crop cuts off most of the
    uniform: "military uniform" is third, after "academic gown" and "mortarboard".)
    """
    crop = center_crop(to_rgb(image))  # (224, 224, 3)
    x = (crop - MEAN) / STD
    return x.transpose(2, 0, 1)[None].astype(np.float32)  # (1, 3, 224, 224)


def crop_from_input(x) -> np.ndarray:
    """What the network saw: its input x (N, 3, 224, 224) (the first image) back as a photo.

        crop = clip(x * STD + MEAN, 0, 1)     (224, 224, 3) float64, the inverse of step 3
    """
    crop = np.asarray(x)[0].transpose(1, 2, 0).astype(np.float64) * STD + MEAN  # (224, 224, 3)
    return np.clip(crop, 0, 1)
