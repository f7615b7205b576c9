"""One image, one map per class: the post's "dog and cat" question on two-object scenes.

The models are trained on one object per image; :func:`numpycam.data.two_object_scene` puts
two objects of different classes in one image. Asking a method for the class of each object
shows whether its map picks out that object (lessons 5 and 10 and ``numpycam demo``).

``explain`` below is any map function called as ``explain(model, x, c)`` or, when a layer is
given, ``explain(model, x, c, layer=layer)``: ``numpycam.cam``, ``numpycam.grad_cam``, or a
method of the CAM family.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from numpycam.localize import favours_own_object


def _maps(explain: Callable, model, x, c, layer) -> np.ndarray:
    return np.asarray(explain(model, x, c) if layer is None else explain(model, x, c, layer=layer))


def per_class_maps(model, images, explain: Callable, layer=None) -> tuple[np.ndarray, np.ndarray]:
    """(maps, S): the map of every class for every image, and the class scores.

    images (N, C, H, W) -> maps (N, M, h, w), map [n, c] explains class c on image n (M classes);
    S (N, M) the scores before softmax.
    """
    x = np.asarray(images)
    n, m = len(x), model.num_classes
    maps = _maps(explain, model, np.repeat(x, m, axis=0), np.tile(np.arange(m), n), layer)
    return maps.reshape(n, m, *maps.shape[1:]), model.forward(x)  # (N, M, h, w), (N, M)


class SceneCounts(NamedTuple):
    """Over ``n`` two-object scenes: the share of objects whose class's map favours them, of
    scenes where both objects' maps do, and of scenes whose top score is a class in the scene."""

    objects: float
    both: float
    top_present: float
    n: int

    def __str__(self) -> str:
        return (f"over {self.n} scenes, the map of a class in the scene favours its own object "
                f"for {self.objects:.0%} of the objects, both objects of a scene in "
                f"{self.both:.0%}; the top score is a class in the scene {self.top_present:.0%} "
                "of the time")


def own_object_counts(model, scenes, explain: Callable, layer=None) -> SceneCounts:
    """For each object of each scene: does the map of its class put more of its positive part
    on that object (its mask) than on the other object?  See
    :func:`numpycam.localize.favours_own_object`."""
    k = scenes.labels.shape[1]  # objects per scene
    maps = np.stack([_maps(explain, model, scenes.images, scenes.labels[:, o], layer)
                     for o in range(k)], axis=1)  # (N, K, h, w)
    own = favours_own_object(maps, scenes.masks)  # (N, K)
    top = model.forward(scenes.images).argmax(axis=1)  # (N,)
    present = (scenes.labels == top[:, None]).any(axis=1)
    return SceneCounts(float(own.mean()), float(own.all(axis=1).mean()), float(present.mean()),
                       len(own))
