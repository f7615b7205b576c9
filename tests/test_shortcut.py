"""The planted mark of numpycam.evaluation.shortcut and the data-randomisation run, on tiny sizes."""

from __future__ import annotations

import numpy as np
import pytest

from numpycam.data import shapes
from numpycam.evaluation.sanity_data import data_randomisation
from numpycam.evaluation.shortcut import PALETTE, plant_mark, train_on_marks


@pytest.mark.parametrize("dtype", [np.float32, np.uint8])
def test_the_mark_has_the_label_colour_exactly_as_often_as_asked(dtype):
    data = shapes(400, seed=3, size=32, dtype=dtype)
    for agreement, expect in ((1.0, 1.0), (0.0, 0.0)):
        marked, boxes, colour = plant_mark(data, agreement, side=5, seed=1)
        assert np.mean(colour == data.labels) == expect
    marked, boxes, colour = plant_mark(data, 0.95, side=5, seed=1)
    assert 0.9 < np.mean(colour == data.labels) < 1.0
    assert boxes.tolist()[0] == [0, 0, 5, 5]
    scale = 255 if dtype == np.uint8 else 1
    want = np.rint(255 * PALETTE[colour]) if dtype == np.uint8 else PALETTE[colour]
    np.testing.assert_allclose(marked.images[:, :, 2, 3], want.astype(dtype), atol=1e-6 * scale)
    np.testing.assert_array_equal(marked.images[:, :, 5:, 5:], data.images[:, :, 5:, 5:])
    assert marked.masks is data.masks  # labels, boxes and masks are the object's, unchanged


def test_plant_mark_refuses_bad_settings():
    data = shapes(4, seed=3, size=32)
    with pytest.raises(ValueError, match="probability"):
        plant_mark(data, 1.5)
    with pytest.raises(ValueError, match="side"):
        plant_mark(data, 0.5, side=20)


def test_train_on_marks_reports_fractions():
    s = train_on_marks(0.95, {"n": 16, "test": {"n": 8, "seed": 2},
                              "fit": {"epochs": 1, "batch_size": 8, "flip": False}},
                       methods=("grad_cam",))
    for v in (s.train_acc, s.test_acc, s.test_acc_cue, *s.looks["grad_cam"].values()):
        assert 0 <= v <= 1


def test_data_randomisation_trains_two_models_and_compares_them():
    d = data_randomisation(methods=("grad_cam",), recipe={
        "n": 8, "test": {"n": 4, "seed": 2}, "fit": {"epochs": 1, "batch_size": 8, "flip": False}})
    assert set(d.models) == {"true labels", "random labels"}
    assert set(d.scores["grad_cam"]) == {"spearman", "spearman_abs", "ssim"}
    assert d.maps["grad_cam"].shape == (2, 32, 32)
