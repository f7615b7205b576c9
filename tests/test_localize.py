"""Tests for numpycam.evaluation.localize and .pointing: boxes from maps, IoU, localisation accuracy,
pointing games."""

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from numpycam.evaluation.localize import box_from_map, iou, localization_accuracy
from numpycam.evaluation.pointing import energy_in_box, pointing_game


@st.composite
def boxes(draw, limit=20, min_side=0):
    x0, y0 = draw(st.integers(0, limit)), draw(st.integers(0, limit))
    w, h = draw(st.integers(min_side, limit)), draw(st.integers(min_side, limit))
    return np.array([x0, y0, x0 + w, y0 + h])


# ---------------------------------------------------------------- iou


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ((0, 0, 2, 2), (1, 1, 3, 3), 1 / 7),  # overlap 1, union 4 + 4 - 1
        ((0, 0, 2, 2), (0, 0, 2, 2), 1.0),
        ((0, 0, 1, 1), (2, 2, 3, 3), 0.0),  # disjoint
        ((0, 0, 2, 2), (2, 0, 4, 2), 0.0),  # touching edges (exclusive ends)
        ((0, 0, 4, 4), (1, 1, 3, 3), 0.25),  # nested: 4 / 16
        ((0, 0, 2, 2), (0, 0, 4, 2), 0.5),
        ((1, 1, 1, 1), (1, 1, 1, 1), 0.0),  # empty union -> 0, not NaN
    ],
)
def test_iou_hand_worked(a, b, expected):
    got = iou(a, b)
    assert isinstance(got, float)
    assert got == pytest.approx(expected, abs=1e-15)


@given(boxes(), boxes())
def test_iou_symmetric_and_bounded(a, b):
    assert iou(a, b) == iou(b, a)
    assert 0.0 <= iou(a, b) <= 1.0


@given(boxes(min_side=1), st.integers(0, 5))
def test_iou_identical_is_one_and_disjoint_is_zero(a, gap):
    assert iou(a, a) == 1.0
    shifted = a + np.array([1, 0, 1, 0]) * (a[2] - a[0] + gap)
    assert iou(a, shifted) == 0.0


@given(st.lists(boxes(), min_size=1, max_size=5), st.lists(boxes(), min_size=1, max_size=5))
def test_iou_vectorised_equals_elementwise(list_a, list_b):
    a, b = np.array(list_a), np.array(list_b)
    matrix = iou(a[:, None], b[None])  # (N, M)
    assert matrix.shape == (len(a), len(b))
    for i in range(len(a)):
        for j in range(len(b)):
            assert matrix[i, j] == iou(a[i], b[j])
    np.testing.assert_array_equal(iou(a, b[0]), [iou(x, b[0]) for x in a])


@pytest.mark.parametrize(
    "a, b, exc",
    [
        ((0, 0, 2), (0, 0, 2, 2), ValueError),  # not 4 numbers
        ((2, 0, 0, 2), (0, 0, 2, 2), ValueError),  # x1 < x0
        ((0, 0, 2, np.nan), (0, 0, 2, 2), ValueError),
        (np.zeros((3, 4)), np.zeros((2, 4)), ValueError),  # does not broadcast
        (np.ones(4, dtype=bool), (0, 0, 2, 2), TypeError),
    ],
)
def test_iou_errors(a, b, exc):
    with pytest.raises(exc):
        iou(a, b)


# ---------------------------------------------------------------- box_from_map


@given(st.integers(1, 12), st.integers(1, 12), st.data(), st.floats(0.01, 100))
def test_single_blob_gives_its_exact_box(h, w, data, value):
    y0, x0 = data.draw(st.integers(0, h - 1)), data.draw(st.integers(0, w - 1))
    y1, x1 = data.draw(st.integers(y0 + 1, h)), data.draw(st.integers(x0 + 1, w))
    m = np.zeros((h, w))
    m[y0:y1, x0:x1] = value
    np.testing.assert_array_equal(box_from_map(m), [x0, y0, x1, y1])


def two_blobs() -> np.ndarray:
    m = np.zeros((20, 30))
    m[2:7, 3:8] = 0.5  # big (25 px) but lower
    m[12:14, 20:22] = 1.0  # small (4 px) but the peak
    return m


def test_largest_component_wins_not_highest_peak():
    np.testing.assert_array_equal(box_from_map(two_blobs()), [3, 2, 8, 7])


def test_threshold_effect():
    # Above 60 % of the max only the small high blob survives.
    np.testing.assert_array_equal(box_from_map(two_blobs(), threshold=0.6), [20, 12, 22, 14])
    np.testing.assert_array_equal(box_from_map(two_blobs(), threshold=0.5), [3, 2, 8, 7])


def test_eight_connectivity():
    m = np.zeros((10, 10))
    m[0:2, 0:2] = m[2:4, 2:4] = 1  # touch at a corner: one 8-connected component of 8 px
    m[8, 1:7] = 1  # 6 px bar
    np.testing.assert_array_equal(box_from_map(m), [0, 0, 4, 4])


@pytest.mark.parametrize("value", [0.0, -1.0, 3.0])
def test_constant_map_gives_whole_image(value):
    np.testing.assert_array_equal(box_from_map(np.full((5, 7), value)), [0, 0, 7, 5])
    np.testing.assert_array_equal(
        box_from_map(np.full((5, 7), value), size=(10, 14)), [0, 0, 14, 10]
    )


def test_upsampled_box_is_scaled():
    m = np.zeros((16, 16))
    m[4:8, 6:12] = 1.0
    box = box_from_map(m, size=64)
    assert box.dtype == np.int64
    np.testing.assert_allclose(box, [24, 16, 48, 32], atol=3)
    assert box_from_map(m, size=(32, 64)).tolist()[0::2] == box.tolist()[0::2]


def test_box_batch_equals_per_image():
    rng = np.random.default_rng(0)
    batch = rng.random((4, 7, 9)) ** 4
    out = box_from_map(batch, threshold=0.15, size=(21, 27))
    assert out.shape == (4, 4)
    for i in range(4):
        np.testing.assert_array_equal(out[i], box_from_map(batch[i], threshold=0.15, size=(21, 27)))


@pytest.mark.parametrize("kwargs", [{"threshold": 1.5}, {"threshold": -0.1}, {"size": 0}])
def test_box_from_map_errors(kwargs):
    with pytest.raises(ValueError):
        box_from_map(np.ones((3, 3)), **kwargs)
    with pytest.raises(ValueError):
        box_from_map(np.ones(3))


# ---------------------------------------------------------------- pointing game


def peaked(y: int, x: int, shape=(10, 10)) -> np.ndarray:
    m = np.zeros(shape)
    m[y, x] = 1.0
    return m


def test_pointing_with_masks():
    mask = np.zeros((10, 10), dtype=bool)
    mask[2:5, 3:6] = True
    assert pointing_game(peaked(3, 4), mask) is True
    assert pointing_game(peaked(8, 8), mask) is False
    assert pointing_game(peaked(3, 4), np.zeros((10, 10), dtype=bool)) is False  # empty object


def test_pointing_with_boxes_and_tolerance():
    m = peaked(3, 4)
    assert pointing_game(m, (4, 3, 5, 4)) is True
    assert pointing_game(m, (5, 3, 6, 4)) is False  # x0 = 5: column 4 is just outside
    assert pointing_game(m, (5, 3, 6, 4), tolerance=1) is True
    assert pointing_game(m, (5, 4, 6, 5), tolerance=1) is False  # diagonal: sqrt(2) away
    assert pointing_game(m, (5, 4, 6, 5), tolerance=1.5) is True


def test_pointing_upsampled():
    m = peaked(1, 2, shape=(4, 4))  # bilinear peak at rows 5-6, cols 9-10 of a 16 x 16 grid
    mask = np.zeros((16, 16), dtype=bool)
    mask[4:8, 8:12] = True
    assert pointing_game(m, mask) is True
    assert pointing_game(m, (8, 4, 12, 8), size=16) is True
    assert pointing_game(m, (0, 0, 8, 4), size=16) is False


def test_pointing_ties_use_first_argmax():
    flat = np.zeros((4, 4))
    assert pointing_game(flat, (0, 0, 1, 1)) is True
    assert pointing_game(flat, (3, 3, 4, 4)) is False


def test_pointing_batch_equals_per_image():
    rng = np.random.default_rng(1)
    maps = rng.random((5, 6, 6))
    masks = rng.random((5, 12, 12)) > 0.7
    hits = pointing_game(maps, masks, tolerance=2)
    assert hits.dtype == bool and hits.shape == (5,)
    assert hits.tolist() == [pointing_game(maps[i], masks[i], tolerance=2) for i in range(5)]


def test_pointing_errors():
    with pytest.raises(ValueError, match="size"):
        pointing_game(np.ones((4, 4)), (0, 0, 8, 8))  # image-pixel box without size
    with pytest.raises(ValueError, match="targets"):
        pointing_game(np.ones((3, 4, 4)), np.ones((2, 4, 4), dtype=bool))
    with pytest.raises(ValueError):
        pointing_game(np.ones((4, 4)), np.ones((1, 4, 4), dtype=bool))
    with pytest.raises(ValueError, match="bool"):
        pointing_game(np.ones((5, 5)), np.ones((5, 5), dtype=np.uint8))  # 0/1 mask, not bool
    with pytest.raises(ValueError, match="tolerance"):
        pointing_game(np.ones((4, 4)), (0, 0, 1, 1), tolerance=-1)


# ---------------------------------------------------------------- energy in box


def test_energy_hand_worked():
    inside = np.zeros((6, 6))
    inside[1:4, 2:5] = 1.0
    assert energy_in_box(inside, (2, 1, 5, 4)) == 1.0
    assert energy_in_box(np.ones((4, 4)), (0, 0, 2, 4)) == 0.5  # half the pixels, equal mass
    left_right = np.hstack([np.ones((4, 2)), 3 * np.ones((4, 2))])
    assert energy_in_box(left_right, (0, 0, 2, 4)) == pytest.approx(8 / 32)
    negative_outside = np.where(inside > 0, 1.0, -5.0)
    assert energy_in_box(negative_outside, (2, 1, 5, 4)) == 1.0  # negative part ignored
    assert energy_in_box(np.zeros((4, 4)), (0, 0, 2, 2)) == 0.0
    assert energy_in_box(-np.ones((4, 4)), (0, 0, 2, 2)) == 0.0
    assert energy_in_box(np.ones((2, 2)), (0, 0, 4, 8), size=8) == 0.5  # after upsampling


@given(arrays(np.float64, (2, 3, 3), elements=st.floats(-10, 10)), boxes(limit=3), boxes(limit=3))
def test_energy_bounded_and_batch_equals_single(maps, a, b):
    bxs = np.clip(np.stack([a, b]), 0, 6)
    shares = energy_in_box(maps, bxs, size=6)
    assert shares.shape == (2,) and np.all((shares >= 0) & (shares <= 1))
    assert shares.tolist() == [energy_in_box(maps[i], bxs[i], size=6) for i in range(2)]


def test_energy_errors():
    with pytest.raises(TypeError):
        energy_in_box(np.ones((4, 4)), np.ones((4, 4), dtype=bool))
    with pytest.raises(ValueError, match="size"):
        energy_in_box(np.ones((4, 4)), (0, 0, 5, 5))
    with pytest.raises(ValueError):
        energy_in_box(np.ones((4, 4)), (0.5, 0, 2, 2))  # not whole pixels


# ---------------------------------------------------------------- localisation accuracy


def test_localization_accuracy_hand_worked():
    pred = np.array([[0, 0, 2, 2], [0, 0, 2, 2], [0, 0, 2, 2], [0, 0, 2, 2]])
    true = np.array([[0, 0, 2, 2], [1, 1, 3, 3], [0, 0, 2, 2], [0, 0, 4, 2]])
    # IoU: 1, 1/7, 1, 0.5 (counts: >=); labels: right, right, wrong, right -> 2 of 4.
    acc = localization_accuracy(pred, true, [1, 2, 3, 4], [1, 2, 0, 4])
    assert isinstance(acc, float) and acc == 0.5
    assert localization_accuracy(pred, true, [1, 2, 3, 4], [1, 2, 0, 4], iou_threshold=0.1) == 0.75


def test_localization_accuracy_several_true_boxes():
    pred = np.array([[0, 0, 2, 2]])
    true = np.array([[[5, 5, 6, 6], [0, 0, 2, 2]]])  # (N=1, K=2, 4): any box may match
    assert localization_accuracy(pred, true, [7], [7]) == 1.0


def test_localization_accuracy_errors():
    with pytest.raises(ValueError):
        localization_accuracy(np.zeros((2, 4)), np.zeros((3, 4)), [0, 0], [0, 0])
    with pytest.raises(ValueError):
        localization_accuracy(np.zeros((2, 4)), np.zeros((2, 4)), [0], [0, 0])
    with pytest.raises(ValueError):
        localization_accuracy(np.zeros((0, 4)), np.zeros((0, 4)), [], [])
    with pytest.raises(ValueError):
        localization_accuracy(np.zeros((1, 4)), np.zeros((1, 4)), [0], [0], iou_threshold=2)


def test_favours_own_object_on_hand_made_scenes():
    from numpycam.evaluation.pointing import favours_own_object

    masks = np.zeros((2, 2, 8, 8), bool)
    masks[:, 0, :, :4] = True  # object 0 on the left, object 1 on the right
    masks[:, 1, :, 4:] = True
    maps = np.zeros((2, 2, 8, 8))
    maps[0, 0, :, :4] = 1.0  # scene 0: map 0 on object 0, map 1 on object 1
    maps[0, 1, :, 4:] = 1.0
    maps[1, 0, :, 4:] = 1.0  # scene 1: both maps on object 1, and map 1 negative there
    maps[1, 1, :, 4:] = -1.0
    got = favours_own_object(maps, masks)
    np.testing.assert_array_equal(got, [[True, True], [False, False]])
    with pytest.raises(ValueError, match="same N, K"):
        favours_own_object(maps[:, :1], masks)


def test_energy_in_box_does_not_overflow_near_the_float64_maximum():
    # The share is scale-free; summing 36 values near 1e308 used to overflow (a warning, inf).
    maps = np.random.default_rng(0).random((2, 6, 6))
    boxes = [[0, 0, 6, 6], [2, 2, 5, 5]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        huge = energy_in_box(maps * 1e308, boxes)
    np.testing.assert_allclose(huge, energy_in_box(maps, boxes), rtol=1e-12)
