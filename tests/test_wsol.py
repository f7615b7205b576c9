"""MaxBoxAccV2 and PxAP on hand-made maps whose answer is known, and their properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import numpycam as nc
from numpycam.evaluation.wsol import centre_gaussian, random_maps


def box_mask(h, w, box):
    x0, y0, x1, y1 = box
    m = np.zeros((h, w), bool)
    m[y0:y1, x0:x1] = True
    return m


BOXES = np.array([[4, 6, 14, 20], [10, 2, 30, 12], [0, 0, 8, 8]])
MASKS = np.stack([box_mask(32, 32, b) for b in BOXES])


def test_a_perfect_map_scores_one():
    r = nc.max_box_acc(MASKS.astype(float), BOXES)
    assert float(r) == 1.0 and r.per_delta == {0.3: 1.0, 0.5: 1.0, 0.7: 1.0}
    assert nc.pxap(MASKS.astype(float), MASKS) == 1.0


def test_a_constant_map_scores_the_whole_image_baseline():
    # normalised to zeros: at tau = 0 the only region is the whole image, above it there is none
    whole = [(b[2] - b[0]) * (b[3] - b[1]) / (32 * 32) for b in BOXES]  # IoU with (0, 0, 32, 32)
    r = nc.max_box_acc(np.full((3, 32, 32), 7.0), BOXES)
    for d in (0.3, 0.5, 0.7):
        assert r.per_delta[d] == np.mean([w >= d for w in whole])
    # pooled pixels all tie: average precision is the share of object pixels
    assert nc.pxap(np.full((3, 32, 32), 7.0), MASKS) == pytest.approx(MASKS.mean())


def test_a_map_shifted_half_a_box_off_scores_zero_at_delta_07():
    box = np.array([[8, 8, 16, 24]])  # 8 wide; shifted right by 4, IoU = 4 * 16 / (12 * 16) = 1/3
    shifted = box_mask(32, 32, (12, 8, 20, 24))[None].astype(float)
    r = nc.max_box_acc(shifted, box)
    assert r.per_delta == {0.3: 1.0, 0.5: 0.0, 0.7: 0.0}
    assert float(r) == pytest.approx(1 / 3)
    far = box_mask(32, 32, (20, 8, 28, 24))[None].astype(float)  # no overlap at all
    assert float(nc.max_box_acc(far, box)) == 0.0
    assert nc.pxap(far, box_mask(32, 32, box[0])[None]) < 0.2


def test_every_region_counts_not_only_the_largest():
    m = box_mask(32, 32, (0, 0, 20, 20)).astype(float)  # big distractor
    m[25:29, 25:29] = 0.5  # the object, weaker and smaller
    r = nc.max_box_acc(m[None], np.array([[25, 25, 29, 29]]))
    assert float(r) == 1.0 and r.best_tau[0.7] <= 0.5  # the small region exists for t <= 0.5
    assert nc.box_from_map(m).tolist() == [0, 0, 20, 20]  # the papers' rule boxes the distractor


def test_maps_are_upsampled_to_the_image_first():
    coarse = np.zeros((1, 4, 4))
    coarse[0, 1:3, 1:3] = 1  # the middle quarter
    r = nc.max_box_acc(coarse, np.array([[16, 16, 48, 48]]), size=64)
    assert r.per_delta[0.5] == 1.0
    assert nc.pxap(coarse, box_mask(64, 64, (16, 16, 48, 48))[None]) > 0.9


def naive_ap(scores, positive):
    """The definition, one threshold at a time: P and R of {score >= s} at each distinct s."""
    ap, r_prev = 0.0, 0.0
    for s in np.unique(scores)[::-1]:
        kept = scores >= s
        p, r = positive[kept].mean(), positive[kept].sum() / positive.sum()
        ap += (r - r_prev) * p
        r_prev = r
    return ap


maps_and_masks = st.integers(1, 3).flatmap(lambda n: st.tuples(
    st.lists(st.integers(0, 5), min_size=n * 36, max_size=n * 36),  # few levels: many ties
    st.lists(st.booleans(), min_size=n * 36, max_size=n * 36).filter(any)).map(
    lambda t: (np.array(t[0], float).reshape(n, 6, 6), np.array(t[1]).reshape(n, 6, 6))))


@given(maps_and_masks)
def test_pxap_is_the_definition_on_pooled_normalised_pixels(mm):
    maps, masks = mm
    from numpycam.methods.postprocess import normalize

    assert nc.pxap(maps, masks) == pytest.approx(naive_ap(normalize(maps).ravel(), masks.ravel()))


@given(maps_and_masks)
def test_pxap_agrees_with_scikit_learn(mm):
    metrics = pytest.importorskip("sklearn.metrics")
    maps, masks = mm
    from numpycam.methods.postprocess import normalize

    expected = metrics.average_precision_score(masks.ravel(), normalize(maps).ravel())
    assert nc.pxap(maps, masks) == pytest.approx(expected)


@given(st.integers(0, 10_000), st.floats(0.1, 10), st.floats(-5, 5))
def test_max_box_acc_properties(seed, scale, shift):
    rng = np.random.default_rng(seed)
    maps = rng.random((3, 5, 5))
    x0, y0 = rng.integers(0, 10, (2, 3))
    boxes = np.stack([x0, y0, x0 + rng.integers(1, 10, 3), y0 + rng.integers(1, 10, 3)], 1)
    r = nc.max_box_acc(maps, boxes, size=20)
    assert 0 <= float(r) <= 1
    v = [r.per_delta[d] for d in (0.3, 0.5, 0.7)]
    assert v[0] >= v[1] >= v[2]  # a stricter IoU never finds more
    assert float(r) == pytest.approx(np.mean(v))
    assert float(nc.max_box_acc(scale * maps + shift, boxes, size=20)) == pytest.approx(float(r))
    assert r.at(r.best_tau[0.5], 0.5) == r.per_delta[0.5]


def test_baselines_have_the_shapes_asked_for():
    g = centre_gaussian(2, 9)
    assert g.shape == (2, 9, 9) and g[0].argmax() == 40  # the middle of 9 x 9
    assert random_maps(3, (4, 5), seed=1).shape == (3, 4, 5)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="one true box per map"):
        nc.max_box_acc(np.zeros((2, 4, 4)), BOXES)
    with pytest.raises(ValueError, match="deltas"):
        nc.max_box_acc(np.zeros((3, 4, 4)), BOXES, deltas=(0.0,))
    with pytest.raises(TypeError, match="boolean"):
        nc.pxap(np.zeros((3, 32, 32)), MASKS.astype(int))
    with pytest.raises(ValueError, match="no object pixel"):
        nc.pxap(np.zeros((3, 32, 32)), np.zeros_like(MASKS))
