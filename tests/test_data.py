"""Tests for numpycam.data: the procedural weakly labelled shapes dataset."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import ndimage

from numpycam.data import CLASSES, SceneData, ShapesData, shapes, two_object_scene

seeds = st.integers(0, 2**32 - 1)
sizes = st.integers(24, 72)


def tight_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """Reference bounding box from pixel coordinates, (x0, y0, x1, y1) with exclusive ends."""
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def assert_same(a, b) -> None:
    for field in ("images", "labels", "boxes", "masks"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)


# --- determinism --------------------------------------------------------------------------------


@given(seed=seeds, n=st.integers(1, 6))
def test_same_seed_gives_identical_arrays(seed, n):
    assert_same(shapes(n, seed=seed, size=32), shapes(n, seed=seed, size=32))
    assert_same(two_object_scene(n, seed=seed, size=32), two_object_scene(n, seed=seed, size=32))


def test_different_seeds_differ():
    a, b = shapes(8, seed=1), shapes(8, seed=2)
    assert not np.array_equal(a.images, b.images)
    assert not np.array_equal(a.masks, b.masks)
    assert not np.array_equal(a.boxes, b.boxes)


def test_global_random_state_untouched():
    np.random.seed(123)  # noqa: NPY002 - the legacy global state is what must stay untouched
    before = np.random.random()  # noqa: NPY002
    np.random.seed(123)  # noqa: NPY002
    shapes(4, seed=5)
    two_object_scene(2, seed=5)
    assert np.random.random() == before  # noqa: NPY002


# --- labels, dtypes, shapes ---------------------------------------------------------------------


@given(n=st.integers(1, 41), seed=seeds)
def test_labels_balanced(n, seed):
    d = shapes(n, seed=seed, size=24)
    counts = np.bincount(d.labels, minlength=len(CLASSES))
    assert len(counts) == len(CLASSES) == 4
    expected = [n // 4 + (c < n % 4) for c in range(4)]
    assert counts.tolist() == expected


def test_labels_are_shuffled():
    labels = shapes(200, seed=0, size=24).labels
    assert not np.array_equal(labels, np.arange(200) % 4)
    assert not np.array_equal(labels, np.sort(labels))


@given(n=st.integers(1, 6), size=sizes, seed=seeds)
def test_dtypes_shapes_ranges(n, size, seed):
    d = shapes(n, seed=seed, size=size)
    assert isinstance(d, ShapesData) and len(d) == n
    assert d.images.shape == (n, 3, size, size) and d.images.dtype == np.float32
    assert d.images.min() >= 0.0 and d.images.max() <= 1.0
    assert d.labels.shape == (n,) and d.labels.dtype == np.int64
    assert d.labels.min() >= 0 and d.labels.max() < len(CLASSES)
    assert d.boxes.shape == (n, 4) and d.boxes.dtype == np.int64
    assert d.masks.shape == (n, size, size) and d.masks.dtype == np.bool_
    assert d.classes == ("circle", "square", "triangle", "cross")


# --- boxes and masks ----------------------------------------------------------------------------


@given(n=st.integers(1, 8), size=sizes, seed=seeds,
       scales=st.tuples(st.floats(0.22, 0.6), st.floats(0.22, 0.6)).map(sorted))
def test_boxes_are_tight_boxes_of_nonempty_masks(n, size, seed, scales):
    d = shapes(n, seed=seed, size=size, min_scale=scales[0], max_scale=scales[1])
    for mask, box in zip(d.masks, d.boxes, strict=True):
        assert mask.any()
        assert tuple(box) == tight_box(mask)
        x0, y0, x1, y1 = box
        assert 0 <= x0 < x1 <= size and 0 <= y0 < y1 <= size


@given(size=sizes, seed=seeds)
def test_object_size_in_documented_range(size, seed):
    d = shapes(12, seed=seed, size=size)
    sides = np.maximum(d.boxes[:, 2] - d.boxes[:, 0], d.boxes[:, 3] - d.boxes[:, 1])
    # the documented defaults: nominal extent 2R in [0.32, 0.45] * size. The smallest box is
    # that of an axis-aligned square of the smallest extent, side 0.85 * 2R (an equilateral
    # triangle's box is at least its altitude, 0.86 * 2R); the largest a square of the largest
    # extent turned 45 degrees, diagonal 0.85 * sqrt(2) * 2R < 1.2 * 2R. One pixel of rounding.
    assert sides.min() >= 0.85 * 0.32 * size - 1
    assert sides.max() <= 1.2 * 0.45 * size + 1


def test_objects_touch_all_regions_of_the_image():
    """Position is random: object centres spread over the image for every class."""
    d = shapes(400, seed=0)
    cx = (d.boxes[:, 0] + d.boxes[:, 2]) / 2
    for c in range(4):
        sel = cx[d.labels == c]
        assert sel.min() < 22 and sel.max() > 42


# --- painted pixels agree with the masks --------------------------------------------------------


@given(n=st.integers(1, 8), size=sizes, seed=seeds)
def test_without_clutter_mask_is_exactly_the_object_colour(n, size, seed):
    d = shapes(n, seed=seed, size=size, clutter=0, noise=0)
    for img, mask in zip(d.images, d.masks, strict=True):
        colour = img[:, mask][:, 0]
        background = img[:, ~mask][:, 0]
        assert np.all(img[:, mask] == colour[:, None])  # flat object
        # flat background (up to float32 rounding of the resampling)
        np.testing.assert_allclose(img[:, ~mask], np.broadcast_to(background[:, None],
                                                                  img[:, ~mask].shape), atol=1e-5)
        assert np.linalg.norm(colour - background) >= 0.35  # visible


def _within_mask_std(images: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Per-image mean over channels of the pixel std inside the mask."""
    m = masks[:, None]
    count = m.sum(axis=(2, 3))
    mean = (images * m).sum(axis=(2, 3)) / count
    var = (((images - mean[..., None, None]) ** 2) * m).sum(axis=(2, 3)) / count
    return np.sqrt(var).mean(axis=1)


def test_mask_aligned_with_painted_object_under_clutter():
    d = shapes(200, seed=7)
    # inside the true mask: one flat colour plus mild noise (std 0.03, less where clipped)
    std = _within_mask_std(d.images, d.masks)
    assert np.all(std < 0.045)
    # a mask shifted by 3 pixels takes in background: clearly larger spread for most images
    shifted = np.roll(d.masks, 3, axis=2)
    assert np.mean(_within_mask_std(d.images, shifted) > 0.06) > 0.9
    # contrast: the object differs from a ring of pixels around it
    for img, mask in zip(d.images[:50], d.masks[:50], strict=True):
        ring = ndimage.binary_dilation(mask, iterations=3) & ~mask
        contrast = np.linalg.norm(img[:, mask].mean(axis=1) - img[:, ring].mean(axis=1))
        assert contrast > 0.2


def test_colour_and_position_carry_no_class_information():
    d = shapes(2000, seed=11)
    m = d.masks[:, None]
    colour = (d.images * m).sum(axis=(2, 3)) / m.sum(axis=(2, 3))
    bg = (d.images * ~m).sum(axis=(2, 3)) / (~m).sum(axis=(2, 3))
    centre = np.stack([d.boxes[:, 0] + d.boxes[:, 2], d.boxes[:, 1] + d.boxes[:, 3]], 1) / 2
    for feature, tol in ((colour, 0.06), (bg, 0.06), (centre / 64, 0.04)):
        means = np.array([feature[d.labels == c].mean(axis=0) for c in range(4)])
        assert np.ptp(means, axis=0).max() < tol


# --- dtype option -------------------------------------------------------------------------------


@given(seed=seeds, size=sizes)
def test_uint8_is_the_same_picture(seed, size):
    f = shapes(3, seed=seed, size=size)
    u = shapes(3, seed=seed, size=size, dtype=np.uint8)
    assert u.images.dtype == np.uint8
    assert np.abs(u.images / 255.0 - f.images).max() <= 0.5 / 255 + 1e-6
    for field in ("labels", "boxes", "masks"):
        np.testing.assert_array_equal(getattr(u, field), getattr(f, field))


# --- two-object scenes --------------------------------------------------------------------------


@given(n=st.integers(1, 6), size=sizes, seed=seeds)
def test_two_object_scene(n, size, seed):
    s = two_object_scene(n, seed=seed, size=size)
    assert isinstance(s, SceneData) and len(s) == n
    assert s.images.shape == (n, 3, size, size) and s.images.dtype == np.float32
    assert s.labels.shape == (n, 2) and s.boxes.shape == (n, 2, 4)
    assert s.masks.shape == (n, 2, size, size)
    assert np.all(s.labels[:, 0] != s.labels[:, 1])
    assert not np.any(s.masks[:, 0] & s.masks[:, 1])
    for masks, boxes in zip(s.masks, s.boxes, strict=True):
        for mask, box in zip(masks, boxes, strict=True):
            assert mask.any() and tuple(box) == tight_box(mask)
    assert np.all(s.boxes[:, 0, 2] <= size / 2) and np.all(s.boxes[:, 1, 0] >= size / 2)


def test_two_object_scene_class_choice_and_sides():
    s = two_object_scene(200, seed=3, classes=("cross", "circle"))
    assert set(np.unique(s.labels)) == {CLASSES.index("cross"), CLASSES.index("circle")}
    assert 50 < np.sum(s.labels[:, 0] == 0) < 150  # which class is on the left is random
    pairs = {tuple(sorted(p)) for p in two_object_scene(200, seed=3).labels.tolist()}
    assert len(pairs) == 6  # every pair of the four classes occurs


def test_two_object_scene_paints_both_objects():
    s = two_object_scene(20, seed=2, clutter=0, noise=0)
    for img, masks in zip(s.images, s.masks, strict=True):
        background = img[:, ~(masks[0] | masks[1])]
        assert np.abs(background - background[:, :1]).max() < 1e-5
        for mask in masks:
            obj = img[:, mask]
            assert np.all(obj == obj[:, :1])
            assert np.linalg.norm(obj[:, 0] - background[:, 0]) >= 0.35


# --- container ----------------------------------------------------------------------------------


def test_shapes_data_container():
    d = shapes(10, seed=0, size=32)
    text = repr(d)
    assert "n=10" in text and "size=32" in text
    counts = np.bincount(d.labels, minlength=4)
    for name, k in zip(CLASSES, counts, strict=True):
        assert f"{name}={k}" in text
    assert "[" not in text  # no array dump
    sub = d[2:5]
    assert isinstance(sub, ShapesData) and len(sub) == 3
    np.testing.assert_array_equal(sub.images, d.images[2:5])
    idx = np.array([7, 1])
    picked = d[idx]
    np.testing.assert_array_equal(picked.masks, d.masks[idx])
    np.testing.assert_array_equal(picked.boxes, d.boxes[idx])
    assert picked.classes == d.classes
    boolean = d[d.labels == 0]
    assert np.all(boolean.labels == 0) and len(boolean) == np.sum(d.labels == 0)
    one = d[-1]
    assert len(one) == 1 and one.labels[0] == d.labels[-1]
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.labels = None


def test_scene_data_subset():
    s = two_object_scene(6, seed=0, size=32)
    sub = s[[0, 5]]
    assert isinstance(sub, SceneData) and sub.labels.shape == (2, 2)
    np.testing.assert_array_equal(sub.masks, s.masks[[0, 5]])
    assert "n=6" in repr(s)


# --- argument validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "word"),
    [
        ({"n": 0}, ValueError, "n must be"),
        ({"n": -3}, ValueError, "n must be"),
        ({"n": 2.5}, TypeError, "n must be an int"),
        ({"n": True}, TypeError, "n must be an int"),
        ({"n": 2, "seed": 1.5}, TypeError, "seed must be an int"),
        ({"n": 2, "seed": "7"}, TypeError, "seed must be an int"),
        ({"n": 2, "seed": -1}, ValueError, "seed"),
        ({"n": 2, "size": 16}, ValueError, "size must be >= 24"),
        ({"n": 2, "size": 32.0}, TypeError, "size must be an int"),
        ({"n": 2, "min_scale": 0.5, "max_scale": 0.3}, ValueError, "min_scale"),
        ({"n": 2, "max_scale": 0.9}, ValueError, "max_scale"),
        ({"n": 2, "min_scale": 0.05}, ValueError, "min_scale"),
        ({"n": 2, "clutter": -1}, ValueError, "clutter"),
        ({"n": 2, "noise": float("nan")}, ValueError, "noise"),
        ({"n": 2, "dtype": np.int32}, ValueError, "dtype"),
    ],
)
def test_shapes_rejects_bad_arguments(kwargs, error, word):
    with pytest.raises(error, match=word):
        shapes(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "error", "word"),
    [
        ({"n": 0}, ValueError, "n must be"),
        ({"n": 1, "seed": 0.5}, TypeError, "seed"),
        ({"n": 1, "size": 10}, ValueError, "size"),
        ({"n": 1, "classes": ("circle",)}, ValueError, "at least two different"),
        ({"n": 1, "classes": ("circle", "circle")}, ValueError, "at least two different"),
        ({"n": 1, "classes": ("circle", "blob")}, ValueError, "blob"),
    ],
)
def test_two_object_scene_rejects_bad_arguments(kwargs, error, word):
    with pytest.raises(error, match=word):
        two_object_scene(**kwargs)
