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
    colour, alpha = (a[:, :, :-1], a[:, :, -1:]) if a.shape[2] in (2, 4) else (a, None)
    if alpha is not None:
        colour = alpha * colour + (1.0 - alpha)  # over a white background
    rgb = np.repeat(colour, 3, axis=2) if colour.shape[2] == 1 else colour
    return np.ascontiguousarray(rgb)  # (H, W, 3)


def _resize_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) weights of an antialiased linear resize along one axis.

    Output pixel i is centred at u_i = (i + 0.5) n_in / n_out in input coordinates; it averages
    the input pixels j with a triangle of half-width r = max(n_in / n_out, 1):
    weight_ij proportional to max(0, 1 - |j + 0.5 - u_i| / r), each row summing to 1. When
    shrinking, r spans every input pixel the output pixel covers (no aliasing); when growing,
    it is ordinary linear interpolation.
    """
    scale = n_in / n_out
    u = (np.arange(n_out) + 0.5) * scale  # (n_out,)
    d = np.abs(np.arange(n_in) + 0.5 - u[:, None]) / max(scale, 1.0)  # (n_out, n_in)
    w = np.clip(1.0 - d, 0.0, None)
    return w / w.sum(axis=1, keepdims=True)


def resize(image, size: tuple[int, int]) -> np.ndarray:
    """(H, W, C) -> (h, w, C) = ``size``, antialiased bilinear, in float64.

    A photo much larger than the target is first averaged over s x s blocks (s = the whole
    factor that keeps it at least twice the target), so the dense matrices stay small.
    """
    a = np.asarray(image, dtype=np.float64)
    h, w = (int(v) for v in size)
    if a.ndim != 3 or h < 1 or w < 1:
        raise ValueError(f"resize takes an (H, W, C) image and a size (h, w) >= 1; got {a.shape} and {size}")
    s = min(a.shape[0] // (2 * h), a.shape[1] // (2 * w))
    if s >= 2:
        H, W = a.shape[0] // s * s, a.shape[1] // s * s
        a = a[:H, :W].reshape(H // s, s, W // s, s, -1).mean(axis=(1, 3))
    rows, cols = _resize_matrix(a.shape[0], h), _resize_matrix(a.shape[1], w)
    out = (rows @ a.reshape(a.shape[0], -1)).reshape(h, a.shape[1], -1)  # (h, W, C)
    return cols @ out  # (w, W) @ (h, W, C) -> (h, w, C)


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
    h, w, top, left = _crop_geometry(a.shape[0], a.shape[1], size, shorter)
    return resize(a, (h, w))[top : top + size, left : left + size]


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
