"""What ``numpycam demo`` computes and reports: accuracies, each method's maps, the scene counts.

    check = shapes(max(CHECK_N, 2 * n), seed=seed)        # fresh test images
    acc = accuracies(models, check)                       # {model: fraction right}
    shown = check[pick(check, n)]                         # n images cycling through the classes
    scores, runs = true_class_maps(models, shown)         # S (N, M) per model; one Run per map set
    scene = scene_maps(multi, seed)                        # CAM per class on 3 scenes; the counts

Every map explains the TRUE class c of its image: L^c at the model's last conv ReLU, by the
method's function in numpycam.methods.registry.METHODS. The figures are drawn by
:mod:`numpycam.viz.gallery`; the numbers are printed by :mod:`numpycam.commands.demo`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from numpycam.data.multi import MultiSceneData, multi_object_scenes
from numpycam.evaluation.own_object import ClassMapCounts, own_class_counts, per_class_maps
from numpycam.evaluation.plan import conv_relus, method_maps, plan
from numpycam.methods.registry import METHODS

DEMO_METHODS = ("cam", "grad_cam")  # the demo's picks from numpycam.methods.registry.METHODS, in order
CHECK_N = 48      # test images at least, to measure accuracy on (enough to tell chance from skill)
SCENES_N = 500    # multi-object scenes the demo measures gap_multi on (about 3 s)
SCENES_SHOWN = 3  # scenes of the figure, one CAM per class each
COUNTED = ("cam", "grad_cam")  # the methods whose own-object counts the demo reports

__all__ = ["CHECK_N", "COUNTED", "DEMO_METHODS", "Run", "SCENES_N", "SCENES_SHOWN", "SceneMaps",
           "accuracies", "pick", "scene_maps", "true_class_maps"]


def pick(data, n: int) -> np.ndarray:
    """Indices of n images cycling through the classes: first circle, first square, ..."""
    per_class = [list(np.flatnonzero(data.labels == c)) for c in range(len(data.classes))]
    out = []
    while len(out) < n and any(per_class):
        for idx in per_class:
            if idx and len(out) < n:
                out.append(idx.pop(0))
    return np.array(out)


def accuracies(models: dict, data) -> dict[str, float]:
    """Each model's top-1 accuracy on data: the fraction of images with argmax_c S^c = y."""
    return {k: float((m.predict(data.images) == data.labels).mean()) for k, m in models.items()}


class Run(NamedTuple):
    """One method on one model: the maps (N, h, w) of each image's true class at ``layer``."""

    method: str
    model: str
    layer: str
    maps: np.ndarray


def true_class_maps(models: dict, data, methods=DEMO_METHODS) -> tuple[dict[str, np.ndarray], list[Run]]:
    """(scores, runs): each model's scores S (N, M) on ``data.images``, and one Run per
    (method, model) the method applies to (CAM needs a GAP head, so not the conventional CNN),
    at the model's last conv ReLU (the rows of :func:`numpycam.evaluation.plan.plan` there),
    in the order of ``methods``."""
    scores = {name: model.forward(data.images) for name, model in models.items()}  # (N, M)
    runs = []
    for method in methods:
        for s in plan(models, [method]):
            model = models[s.model]
            if s.layer != conv_relus(model)[-1]:
                continue
            maps = method_maps(model, data.images, data.labels, method, s.layer)  # (N, h, w)
            runs.append(Run(method, s.model, s.layer, maps))
    return scores, runs


class SceneMaps(NamedTuple):
    """The multi-label model on ``multi_object_scenes(SCENES_N, seed)``.

    scenes: all of them; maps (R, M, h, w) and scores (R, M): CAM of every class on the first
    R = SCENES_SHOWN; counts: method name -> how often each present class's map favours its
    own object over all the scenes (:func:`numpycam.evaluation.own_object.own_class_counts`).
    """

    scenes: MultiSceneData
    maps: np.ndarray
    scores: np.ndarray
    counts: dict[str, ClassMapCounts]


def scene_maps(model, seed: int, methods=COUNTED) -> SceneMaps:
    """CAM per class on the first scenes of ``seed``, and each method's counts on all SCENES_N."""
    scenes = multi_object_scenes(SCENES_N, seed=seed)
    maps, scores = per_class_maps(model, scenes.images[:SCENES_SHOWN], METHODS["cam"].function)
    counts = {m: own_class_counts(model, scenes, METHODS[m].function) for m in methods}
    return SceneMaps(scenes, maps, scores, counts)
