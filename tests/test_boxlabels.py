"""Box labels -> pixel labels (numpycam.evaluation.boxlabels), checked against what the words say.

The masks lie inside their boxes; threshold 0 on a non-negative map keeps the whole box; a
higher threshold keeps fewer pixels; a map with no positive value in the box keeps the whole
box; the IoU of two box masks is the IoU of the boxes (numpycam.iou, computed from the corners,
a different code path); and a hand-made case gives a number you can count.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import numpycam as nc
from numpycam.evaluation.boxlabels import box_masks, mask_in_box, mask_iou


@st.composite
def maps_and_boxes(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n, h, w = int(rng.integers(1, 4)), int(rng.integers(2, 9)), int(rng.integers(2, 9))
    size = (h * int(rng.integers(1, 4)), w * int(rng.integers(1, 4)))
    x0 = rng.integers(0, size[1], n)
    y0 = rng.integers(0, size[0], n)
    x1 = x0 + rng.integers(0, size[1] - x0 + 1)
    y1 = y0 + rng.integers(0, size[0] - y0 + 1)
    return rng.standard_normal((n, h, w)), np.stack([x0, y0, x1, y1], axis=1), size


@given(maps_and_boxes(), st.floats(0, 1))
def test_masks_lie_in_their_boxes_and_shrink_as_the_threshold_rises(case, t):
    maps, boxes, size = case
    inside = box_masks(boxes, size)
    m = mask_in_box(maps, boxes, t, size=size)
    assert m.shape == inside.shape and not (m & ~inside).any()
    higher = mask_in_box(maps, boxes, min(1.0, t + 0.25), size=size)
    assert not (higher & ~m).any()  # a higher threshold keeps a subset
    assert (mask_in_box(np.abs(maps), boxes, 0.0, size=size) == inside).all()
    assert (mask_in_box(-np.abs(maps), boxes, t, size=size) == inside).all()  # no evidence


@given(maps_and_boxes(), maps_and_boxes())
def test_the_iou_of_two_box_masks_is_the_iou_of_the_boxes(a, b):
    _, boxes_a, size = a
    boxes_b = np.clip(b[1][: len(boxes_a)], 0, [size[1], size[0], size[1], size[0]])
    boxes_a = boxes_a[: len(boxes_b)]
    got = mask_iou(box_masks(boxes_a, size), box_masks(boxes_b, size))
    area = (boxes_a[:, 2] - boxes_a[:, 0]) * (boxes_a[:, 3] - boxes_a[:, 1])
    area_b = (boxes_b[:, 2] - boxes_b[:, 0]) * (boxes_b[:, 3] - boxes_b[:, 1])
    both_empty = (area == 0) & (area_b == 0)
    want = np.where(both_empty, 1.0, nc.iou(boxes_a, boxes_b))
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_a_case_counted_by_hand():
    m = np.zeros((1, 4, 4))
    m[0, 1, 1], m[0, 1, 2], m[0, 2, 1] = 1.0, 0.5, 0.1  # the peak inside the box is 1
    m[0, 3, 3] = 9.0  # outside the box: ignored
    got = mask_in_box(m, [[0, 0, 3, 3]], threshold=0.4)  # keeps the 1 and the 0.5
    assert got.sum() == 2 and got[0, 1, 1] and got[0, 1, 2]
    truth = np.zeros((1, 4, 4), bool)
    truth[0, 1, 1:4] = True  # three pixels, two of them found
    assert mask_iou(got, truth)[0] == pytest.approx(2 / 3)
    assert mask_iou(box_masks([[0, 0, 3, 3]], 4), truth)[0] == pytest.approx(2 / 10)


def test_bad_inputs_say_what_to_do():
    with pytest.raises(ValueError, match="threshold"):
        mask_in_box(np.ones((1, 4, 4)), [[0, 0, 2, 2]], 1.5)
    with pytest.raises(ValueError, match="maps\\[None\\]"):
        mask_in_box(np.ones((4, 4)), [[0, 0, 2, 2]])
    with pytest.raises(ValueError, match="size"):
        mask_in_box(np.ones((1, 4, 4)), [[0, 0, 8, 8]])  # image-pixel box, no size
    with pytest.raises(TypeError, match="boolean"):
        mask_iou(np.ones((1, 2, 2)), np.ones((1, 2, 2), bool))
    with pytest.raises(ValueError, match="same|both"):
        mask_iou(np.ones((1, 2, 2), bool), np.ones((1, 3, 2), bool))
    with pytest.raises(ValueError, match="targets"):
        mask_in_box(np.ones((2, 4, 4)), [[0, 0, 2, 2]])
