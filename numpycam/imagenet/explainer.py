"""Explain a photo with the ImageNet network: top classes, a class map, guided backprop.

What ``numpycam explain`` computes (the figures are drawn by :mod:`numpycam.viz.photos`):

    x = preprocess(photo)                         # (1, 3, 224, 224), the centre crop
    S = model.forward(x)                          # (1, 1000) scores; softmax gives the top K
    for each class c explained:
        L^c      = method(model, x, c, layer)     # e.g. Grad-CAM at the last block, (h, w)
        G^c      = guided backprop dS^c/dx        # (3, 224, 224)
        G^c * upsample(L^c)                       # Guided Grad-CAM (Selvaraju et al., Sec. 3)
        CAM^c    = sum_k w_k^c f_k                # (h, w); with --method cam: Grad-CAM instead

All classes are computed together: the crop is repeated once per class, so each method runs
one forward and (at most) one backward pass for the whole batch.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from numpycam.imagenet.classes import class_index, class_names, top_classes
from numpycam.imagenet.photos import load_image
from numpycam.imagenet.preprocess import crop_from_input, preprocess
from numpycam.imagenet.weights import efficientnet_lite0_pretrained
from numpycam.methods.base import feature_layer, weighted_sum
from numpycam.methods.cam import gap_head
from numpycam.methods.guided import guided_backprop
from numpycam.methods.postprocess import upsample
from numpycam.methods.registry import METHODS

MODEL = "efficientnet_lite0"


def offered_methods() -> list[str]:
    """The registry's methods that ``explain`` offers, in display order: all but those that
    cost one forward pass per channel (Score-CAM: 1280 passes on this network)."""
    return [name for name, m in METHODS.items() if m.needs != "forward passes"]


def lookup_method(name: str) -> Callable:
    """The map function of a method by name, from :data:`numpycam.methods.registry.METHODS`:
    ``function(model, x, c, layer=None) -> (N, h, w)``. An unknown or unoffered name is a
    ValueError that lists the choices."""
    if name not in offered_methods():
        raise ValueError(f"unknown method {name!r}; choose one of {', '.join(offered_methods())}")
    return METHODS[name].function


@dataclass(frozen=True)
class PhotoExplanation:
    """Everything ``explain_photo`` computed for one photo and K classes.

    crop (224, 224, 3) in [0, 1]: what the network saw.  scores (1000,): S.  top: the top
    classes as (index, name, probability).  classes: the K explained classes, same form.
    maps (K, h, w): the method's maps.  second (K, h', w'): CAM (Grad-CAM when the method is
    CAM) for comparison.  guided (K, 3, 224, 224): guided backprop.  guided_map: guided
    backprop times the upsampled map.  method, second_method: names.  layer: the name of the
    layer of ``maps``.  seconds: time per step.
    """

    crop: np.ndarray
    scores: np.ndarray
    top: list
    classes: list
    maps: np.ndarray
    second: np.ndarray
    guided: np.ndarray
    guided_map: np.ndarray
    method: str
    second_method: str
    layer: str
    seconds: dict


def _resolve_layer(model, method: str, layer):
    """The name of the layer the method's map lives at (for titles), checking that it exists."""
    if method == "cam":
        return model.layers[gap_head(model) - 1].name
    try:
        return model.layers[feature_layer(model, layer)].name
    except KeyError as err:
        raise ValueError(f"{err.args[0]} (the blocks are named block1 .. block16)") from None


def explain_photo(photo, model=None, *, classes=None, top: int = 3, method: str = "grad_cam",
                  layer: str | None = None, progress: Callable[[str], None] | None = None
                  ) -> PhotoExplanation:
    """Top classes and maps of a photo (a path, a shipped photo's name or an (H, W, 3) array).

    ``classes``: names or indices to explain; by default the ``top`` most probable ones.
    ``model``: by default ``numpycam.pretrained("efficientnet_lite0")``. ``progress`` is called
    with a short message before each step.
    """
    say = progress or (lambda message: None)
    map_fn = lookup_method(method)  # unknown names fail before any work
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or not 1 <= top <= 1000:
        raise ValueError(f"top must be a whole number from 1 to 1000, got {top!r}")
    wanted = None if not classes else [class_index(k) for k in classes]
    image = load_image(photo) if isinstance(photo, (str, bytes)) or hasattr(photo, "__fspath__") else photo
    x = preprocess(image)  # (1, 3, 224, 224)
    seconds, t = {}, time.perf_counter()

    def lap(step):
        nonlocal t
        now = time.perf_counter()
        seconds[step] = now - t
        t = now

    if model is None:
        say(f"loading the {MODEL} network")
        model = efficientnet_lite0_pretrained()
        lap("load")
    layer_name = _resolve_layer(model, method, layer)
    say("forward pass")
    scores = model.forward(x)[0]  # (1000,)
    f = model.activation(gap_head(model) - 1)  # (1, K, h, w): CAM's f_k, kept for below
    lap("forward")
    ranked = top_classes(scores, 1000)
    shown = ranked[:top]
    c = np.array(wanted if wanted is not None else [k for k, _, _ in shown])
    prob = {k: p for k, _, p in ranked}
    explained = [(int(k), class_names()[k], prob[int(k)]) for k in c]
    xs = np.repeat(x, len(c), axis=0)  # (K, 3, 224, 224)
    if method != "cam":  # CAM for comparison, from the forward pass above: sum_k w_k^c f_k
        second = weighted_sum(np.repeat(f, len(c), axis=0), model.layers[-1].W[c])  # (K, h, w)

    say(f"{method} at {layer_name} for {len(c)} class{'es' if len(c) > 1 else ''}")
    maps = map_fn(model, xs, c, layer=layer)  # (K, h, w)
    lap(method)
    second_method = "grad_cam" if method == "cam" else "cam"
    if method == "cam":
        say(second_method)
        second = lookup_method(second_method)(model, xs, c)  # (K, h', w')
        lap(second_method)
    say("guided backprop")
    guided = guided_backprop(model, xs, c)  # (K, 3, 224, 224)
    lap("guided backprop")
    guided_map = guided * upsample(np.maximum(maps, 0), x.shape[2:])[:, None]
    return PhotoExplanation(crop_from_input(x), scores, shown, explained, maps, second, guided,
                            guided_map, method, second_method, layer_name, seconds)
