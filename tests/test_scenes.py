"""numpycam.evaluation.own_object: one map per class, and the count of objects whose class's map favours them."""

from __future__ import annotations

import numpy as np
import pytest

import numpycam as nc
from numpycam.evaluation.own_object import own_object_counts, per_class_maps


def test_per_class_maps_equal_one_call_per_image_and_class():
    model = nc.gap_cnn(widths=(4, 8), seed=3).astype(np.float64)
    x = nc.data.shapes(3, seed=4, size=32, dtype=np.float64).images
    maps, scores = per_class_maps(model, x, nc.grad_cam, layer="relu2")
    assert maps.shape[:2] == (3, model.num_classes) and scores.shape == (3, model.num_classes)
    for n in range(3):
        for c in range(model.num_classes):
            alone = nc.grad_cam(model, x[n : n + 1], c, layer="relu2")[0]
            np.testing.assert_allclose(maps[n, c], alone, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(scores, model.forward(x))


class _Fake:
    """A stand-in model whose top class is given, and a map function that draws given masks."""

    num_classes = 4

    def __init__(self, top):
        self.top = np.asarray(top)

    def forward(self, x):
        return np.eye(self.num_classes)[self.top]  # (N, M), argmax = top


@pytest.mark.parametrize("swap", [False, True])
def test_counts_follow_where_the_maps_are(swap):
    # the map for object o's class is object o's own mask (or, swapped, the other object's):
    # every object is favoured (or none is), independently of any trained model
    scenes = nc.data.two_object_scene(6, seed=0, size=32)
    by_class = {}  # (image, class) -> mask that the "method" lights up
    for n in range(6):
        for o in range(2):
            by_class[n, int(scenes.labels[n, o])] = scenes.masks[n, 1 - o if swap else o]

    def explain(model, x, c):
        return np.stack([by_class[n, int(c[n])] for n in range(len(x))]).astype(float)

    top = scenes.labels[:, 0].copy()
    top[:2] = [next(k for k in range(4) if k not in scenes.labels[n]) for n in range(2)]  # absent
    counts = own_object_counts(_Fake(top), scenes, explain)
    assert counts.n == 6 and counts.top_present == pytest.approx(4 / 6)
    assert (counts.objects, counts.both) == ((0.0, 0.0) if swap else (1.0, 1.0))
    assert "over 6 scenes" in str(counts)
