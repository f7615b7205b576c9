"""How the shapes data is drawn: objects of four classes on a cluttered background.

The rendering behind :mod:`numpycam.data` (one or two objects per image) and
:mod:`numpycam.data.multi` (one to three): :func:`render` paints objects (class, size, centre,
rotation) on a fresh random background with distractor strokes and returns the images and each
object's exact mask; :func:`tight_boxes` reads boxes off masks; :func:`centres` draws centres
that keep an object inside a region; :func:`check_common` validates the arguments every
generator shares. Conventions as in :mod:`numpycam.data`.
"""

from __future__ import annotations

import numpy as np

from numpycam.validate import positive_int

CLASSES: tuple[str, ...] = ("circle", "square", "triangle", "cross")

# Shape geometry in units of the size parameter R (the nominal extent of an object is 2R).
_SQUARE_HALF, _TRIANGLE_CIRCUM, _CROSS_HALF_WIDTH = 0.85, 1.15, 0.3
# Radius of the disc holding each class's shape, used to keep objects inside the image.
CIRCUMRADIUS = np.array(
    [1.0, _SQUARE_HALF * np.sqrt(2.0), _TRIANGLE_CIRCUM, np.hypot(1.0, _CROSS_HALF_WIDTH)]
)
MIN_RADIUS_PX = 2.5  # the pixel nearest the centre then lies inside every shape: mask never empty
_CONTRAST = 0.4  # minimum RGB distance between object colour and the background under it
_N_CANDIDATES = 8  # random colours tried per object before falling back to the far corner
_N_STROKES = 5  # distractor slots; even slots are line segments, odd slots are arcs
_BYTE_DIFF_STD = float(np.sqrt(2 * (256**2 - 1) / 12))  # std of the difference of two bytes
_CHUNK = 64  # images rendered at a time (keeps the work arrays cache-sized)


def check_common(n, seed, size, clutter, noise, dtype) -> tuple[int, int, int, np.dtype]:
    n = positive_int(n, "n", 1, "ask for at least one image")
    seed = positive_int(seed, "seed", 0, "use a non-negative integer seed")
    size = positive_int(size, "size", 24, "objects need at least 24x24 pixels to be recognisable")
    for name, value in (("clutter", clutter), ("noise", noise)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number >= 0 (0 disables it), got {value}")
    dtype = np.dtype(dtype)
    if dtype != np.uint8 and dtype.kind != "f":
        raise ValueError(f"dtype must be a float dtype (values in [0, 1]) or np.uint8 (0..255), "
                         f"got {dtype}")
    return n, seed, size, dtype


def _interp_matrix(grid: int, size: int) -> np.ndarray:
    """(size, grid) matrix resampling `grid` control values to `size` pixels (smoothstep)."""
    pos = np.linspace(0.0, grid - 1.0, size)
    i0 = np.clip(np.floor(pos).astype(int), 0, grid - 2)
    f = pos - i0
    f = f * f * (3.0 - 2.0 * f)
    m = np.zeros((size, grid), np.float32)
    m[np.arange(size), i0] = 1.0 - f
    m[np.arange(size), i0 + 1] = f
    return m


def _draw_params(rng: np.random.Generator, n: int, k: int, size: int, clutter: float) -> dict:
    """Per-image random parameters of the background, distractors and object colours."""
    s = _N_STROKES
    params = {
        "base": rng.uniform(0.1, 0.9, (n, 3, 1, 1)),
        "smooth": rng.uniform(-1, 1, (n, 3, 4, 4)) * 0.18 * clutter,
        "texture": rng.uniform(-1, 1, (n, 1, 12, 12)) * 0.05 * clutter,
        "grating": rng.uniform([0.6, 0, 0, 0], [1.6, np.pi, 2 * np.pi, 0.05 * clutter], (n, 4)),
        "on": rng.random((n, s)) < min(1.0, 0.6 * clutter),
        "p0": rng.uniform(0, size - 1, (n, s, 2)),  # segment middle or arc centre
        "length": rng.uniform(0.08, 0.45, (n, s)) * size,  # segment length or arc radius
        "direction": rng.uniform(0, 2 * np.pi, (n, s)),  # segment direction or arc middle
        "half_span": rng.uniform(np.pi / 6, np.pi / 2, (n, s)),  # arcs only
        "width": rng.uniform(0.5, 0.9, (n, s)),
        "stroke_rgb": rng.random((n, s, 3)),
        "candidates": rng.random((n, k, _N_CANDIDATES, 3)),
    }
    return {key: v.astype(np.float32) if v.dtype == np.float64 else v for key, v in params.items()}


def _background(p: dict, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Base colour + smooth colour noise + texture + grating: (n, 3, H, W) float32."""
    h, w = len(ys), len(xs)
    # the interpolation rows sum to 1, so adding the base colour to the control grid adds it
    # everywhere (and is much faster than broadcasting (n, 3, 1, 1) over the image)
    bg = _interp_matrix(4, h) @ (p["smooth"] + p["base"]) @ _interp_matrix(4, w).T
    tex = _interp_matrix(12, h) @ p["texture"] @ _interp_matrix(12, w).T
    freq, theta, phase, amp = p["grating"].T[..., None]  # sin(a x + b y + phase), separably
    ax, by = freq * np.cos(theta) * xs + phase, freq * np.sin(theta) * ys
    left = np.stack([np.cos(by), np.sin(by)], axis=2) * amp[:, :, None]  # (n, H, 2)
    right = np.stack([np.sin(ax), np.cos(ax)], axis=1)  # (n, 2, W)
    bg += tex + (left @ right)[:, None]
    return bg


def _add_strokes(bg: np.ndarray, p: dict, xs: np.ndarray, ys: np.ndarray) -> None:
    """Paint thin line segments (even slots) and arcs (odd slots) onto bg in place.

    Costs a few full-size operations per slot: each test is a sum of an (n, 1, W) and an
    (n, H, 1) term. Inactive strokes get width 0, so they hit no pixel.
    """
    for s in range(_N_STROKES):
        if not p["on"][:, s].any():
            continue
        x0, y0 = p["p0"][:, s, 0, None, None], p["p0"][:, s, 1, None, None]
        dx, dy = xs[None, None, :] - x0, ys[None, :, None] - y0  # (n, 1, W), (n, H, 1)
        ex, ey = np.cos(p["direction"][:, s, None, None]), np.sin(p["direction"][:, s, None, None])
        length = p["length"][:, s, None, None]
        width = (p["width"][:, s] * p["on"][:, s])[:, None, None]
        if s % 2 == 0:  # segment centred on (x0, y0) along (ex, ey), `length` long
            hit = np.abs(dx * ey - dy * ex) < width
            hit &= np.abs(dx * ex + dy * ey) < 0.5 * length
        else:  # arc of radius `length` around (x0, y0), centred on direction (ex, ey)
            r2 = dx * dx + dy * dy
            hit = (r2 > (length - width) ** 2) & (r2 < (length + width) ** 2)
            chord = 2 * length * np.sin(0.5 * p["half_span"][:, s, None, None])
            hit &= (dx - length * ex) ** 2 + (dy - length * ey) ** 2 < chord * chord
        np.copyto(bg, p["stroke_rgb"][:, s, :, None, None], where=hit[:, None])


def _object_mask(label: int, u: np.ndarray, v: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """Membership of rotated coordinates (u, v) in the shape of class `label` of size R."""
    if label == 0:
        return u * u + v * v < radius * radius
    au, av = np.abs(u), np.abs(v)
    if label == 1:
        return np.maximum(au, av) < _SQUARE_HALF * radius
    if label == 2:  # three half-planes; inradius is half the circumradius
        h, c30 = 0.5 * _TRIANGLE_CIRCUM * radius, np.float32(np.sqrt(3.0) / 2)
        return (-v < h) & (c30 * au + 0.5 * v < h)
    w = _CROSS_HALF_WIDTH * radius
    return ((au < radius) & (av < w)) | ((au < w) & (av < radius))


def render(rng, labels, radius, centre, angle, size, clutter, noise, dtype):
    """Render objects (labels/radius/angle (N, K), centre (N, K, 2) as (x, y)) on clutter.

    Returns images (N, 3, size, size) of `dtype` and masks (N, K, size, size) bool.
    """
    n, k = labels.shape
    p = _draw_params(rng, n, k, size, clutter)
    xs = ys = np.arange(size, dtype=np.float32)
    images = np.empty((n, 3, size, size), dtype)
    masks = np.zeros((n, k, size, size), bool)
    for start in range(0, n, _CHUNK):
        sl = slice(start, min(start + _CHUNK, n))
        pc = {key: value[sl] for key, value in p.items()}
        img = _background(pc, xs, ys)
        _add_strokes(img, pc, xs, ys)
        mk = masks[sl]
        for j in range(k):
            for c in range(len(CLASSES)):
                idx = np.flatnonzero(labels[sl, j] == c)
                cx, cy, a, r = (q[sl][idx, j, None, None].astype(np.float32)
                                for q in (centre[..., 0], centre[..., 1], angle, radius))
                dx, dy = xs - cx, ys[:, None] - cy
                u, v = dx * np.cos(a) + dy * np.sin(a), dy * np.cos(a) - dx * np.sin(a)
                mk[idx, j] = _object_mask(c, u, v, r)
        for j in range(k):  # colour: far enough from the background under the object
            m = mk[:, j, None]
            under = (img * m).sum(axis=(2, 3)) / m.sum(axis=(2, 3))
            cand = pc["candidates"][:, j]
            ok = np.linalg.norm(cand - under[:, None], axis=-1) >= _CONTRAST
            rgb = cand[np.arange(len(cand)), ok.argmax(axis=1)]
            rgb = np.where(ok.any(axis=1)[:, None], rgb, (under < 0.5).astype(np.float32))
            np.copyto(img, rgb[:, :, None, None], where=m)
        if noise > 0:  # triangular noise (difference of two uniform bytes): fast, std = noise
            b = rng.integers(0, 256, (2, *img.shape), dtype=np.uint8)
            img += (b[0].astype(np.int16) - b[1]) * np.float32(noise / _BYTE_DIFF_STD)
        np.clip(img, 0.0, 1.0, out=img)
        images[sl] = np.rint(img * 255) if dtype == np.uint8 else img
    return images, masks


def tight_boxes(masks: np.ndarray) -> np.ndarray:
    """(..., H, W) bool masks -> (..., 4) int64 tight boxes (x0, y0, x1, y1), exclusive ends."""
    rows, cols = masks.any(axis=-1), masks.any(axis=-2)
    h, w = masks.shape[-2:]
    y0, y1 = rows.argmax(axis=-1), h - rows[..., ::-1].argmax(axis=-1)
    x0, x1 = cols.argmax(axis=-1), w - cols[..., ::-1].argmax(axis=-1)
    return np.stack([x0, y0, x1, y1], axis=-1).astype(np.int64)


def centres(rng, rc: np.ndarray, x_lo, x_hi, size: int) -> np.ndarray:
    """Uniform centres (x, y) keeping a disc of radius rc inside [x_lo, x_hi] x [0, size-1]."""
    lo = np.stack([x_lo + rc + 0.5, rc + 0.5], axis=-1)
    hi = np.stack([x_hi - rc - 0.5, size - 1.0 - rc - 0.5], axis=-1)
    return lo + rng.random(lo.shape) * (hi - lo)
