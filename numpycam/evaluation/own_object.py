"""One image, one map per class: the post's "dog and cat" question on scenes of several objects.

The single-label models are trained on one object per image; :func:`numpycam.data.two_object_scene`
puts two objects of different classes in one image (:func:`own_object_counts`). The multi-label
model ``gap_multi`` is trained on scenes of one to three objects labelled only with the set of
classes present (:func:`numpycam.data.multi.multi_object_scenes`); :func:`own_class_counts`
measures it. Asking a method for the class of each object shows whether its map picks out that
object (the lessons and ``numpycam demo``).

``map_fn`` below is any map function called as ``map_fn(model, x, c)`` or, when a layer is
given, ``map_fn(model, x, c, layer=layer)``: ``numpycam.cam``, ``numpycam.grad_cam``, or a
method of the CAM family.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from numpycam.evaluation.pointing import favours_own_object
from numpycam.methods.postprocess import upsample
from numpycam.train.fit import mean_average_precision, scores


def _maps(map_fn: Callable, model, x, c, layer) -> np.ndarray:
    return np.asarray(map_fn(model, x, c) if layer is None else map_fn(model, x, c, layer=layer))


def per_class_maps(model, images, map_fn: Callable, layer=None) -> tuple[np.ndarray, np.ndarray]:
    """(maps, S): the map of every class for every image, and the class scores.

    images (N, C, H, W) -> maps (N, M, h, w), map [n, c] explains class c on image n (M classes);
    S (N, M) the scores before softmax.
    """
    x = np.asarray(images)
    n, m = len(x), model.num_classes
    maps = _maps(map_fn, model, np.repeat(x, m, axis=0), np.tile(np.arange(m), n), layer)
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


def own_object_counts(model, scenes, map_fn: Callable, layer=None) -> SceneCounts:
    """For each object of each scene: does the map of its class put more of its positive part
    on that object (its mask) than on the other object?  See
    :func:`numpycam.evaluation.pointing.favours_own_object`."""
    k = scenes.labels.shape[1]  # objects per scene
    maps = np.stack([_maps(map_fn, model, scenes.images, scenes.labels[:, o], layer)
                     for o in range(k)], axis=1)  # (N, K, h, w)
    own = favours_own_object(maps, scenes.masks)  # (N, K)
    top = model.forward(scenes.images).argmax(axis=1)  # (N,)
    present = (scenes.labels == top[:, None]).any(axis=1)
    return SceneCounts(float(own.mean()), float(own.all(axis=1).mean()), float(present.mean()),
                       len(own))


class ClassMapCounts(NamedTuple):
    """Over ``n`` multi-label scenes (:func:`numpycam.data.multi.multi_object_scenes`): the share
    of objects whose class's map puts more positive mass on them than on all the other objects
    of their scene together, the same over the ``n_multi`` scenes with two or more objects, the
    share of scenes with every present class right, and the presence prediction: mean average
    precision of sigma(S) and exact-set accuracy (S^c > 0 for exactly the present classes)."""

    objects: float
    objects_multi: float
    scenes: float
    mean_ap: float
    exact: float
    n: int
    n_multi: int

    def __str__(self) -> str:
        return (f"over {self.n} scenes of 1-3 objects, each present class's map favours its own "
                f"object for {self.objects:.1%} of the objects ({self.objects_multi:.1%} in the "
                f"{self.n_multi} scenes of 2-3 objects), every class right in {self.scenes:.1%} "
                f"of the scenes; presence: mAP {self.mean_ap:.3f}, exact set {self.exact:.1%}")


def own_class_counts(model, scenes, map_fn: Callable, layer=None, batch: int = 100) -> ClassMapCounts:
    """For each object of each scene: the map of its class, upsampled and with its negative part
    dropped, puts more mass on the object's mask than on the masks of the scene's other objects
    together (a one-object scene only needs some mass on the object). ``batch`` scenes at a time.

    scenes: a :class:`numpycam.data.multi.MultiSceneData` (objects (N, K), masks (N, K, H, W)).
    """
    objects, masks = np.asarray(scenes.objects), np.asarray(scenes.masks)
    n, k = objects.shape
    right = np.zeros((n, k), bool)
    for start in range(0, n, batch):
        sl = slice(start, min(start + batch, n))
        m = masks[sl].astype(np.float64)  # (B, K, H, W)
        for j in range(k):
            rows = np.flatnonzero(objects[sl, j] >= 0)
            if not len(rows):
                continue
            maps = _maps(map_fn, model, scenes.images[sl][rows], objects[sl][rows, j], layer)
            up = np.maximum(upsample(np.asarray(maps, np.float64), masks.shape[2:]), 0)  # (R, H, W)
            mass = np.einsum("rhw,rkhw->rk", up, m[rows])  # (R, K) mass on each object
            own = mass[:, j]
            right[start + rows, j] = own > mass.sum(axis=1) - own
    present = objects >= 0
    multi = present.sum(axis=1) >= 2
    s = scores(model, scenes.images)  # (N, M)
    labels = np.asarray(scenes.labels)
    return ClassMapCounts(
        objects=float(right[present].mean()),
        objects_multi=float(right[present & multi[:, None]].mean()) if multi.any() else float("nan"),
        scenes=float((right | ~present).all(axis=1).mean()),
        mean_ap=mean_average_precision(s, labels),
        exact=float(((s > 0) == (labels > 0)).all(axis=1).mean()),
        n=n, n_multi=int(multi.sum()))
