"""Explain a photo with the ImageNet network: top classes, a class map, guided backprop.

What ``numpycam explain`` computes (the figures are drawn by :mod:`numpycam.viz.photos`):

    x = preprocess(photo)                         # (1, 3, 224, 224), the centre crop
    S = model.forward(x)                          # (1, 1000) scores; softmax gives the top K
    for each class c explained, one at a time:
        g^c      = dS^c/df                        # one backward pass to the map's layer
        L^c      = sum_k weight_k(f, g^c) f_k     # the method's rule, e.g. Grad-CAM, (h, w)
        G^c      = guided backprop dS^c/dx        # one guided backward pass, (3, 224, 224)
        G^c * upsample(L^c)                       # Guided Grad-CAM (Selvaraju et al., Sec. 3)
        CAM^c    = sum_k w_k^c f_k                # (h, w); with --method cam: Grad-CAM instead

One forward pass per photo: every backward pass reuses the layer outputs it kept, so memory
is that of one image whatever the number of classes (``explain_classes`` yields one class at a
time; ``explain_photo`` stacks them). The maps equal the registry's functions called on x and c
(tests/test_explain.py checks it).
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np

from numpycam.imagenet.classes import class_index, class_names, top_classes
from numpycam.imagenet.photos import load_image
from numpycam.imagenet.preprocess import crop_from_input, preprocess
from numpycam.imagenet.weights import efficientnet_lite0_pretrained
from numpycam.methods.base import feature_layer, one_hot, weighted_sum
from numpycam.methods.cam import check_cam_layer, gap_head
from numpycam.methods.postprocess import upsample
from numpycam.methods.registry import METHODS

MODEL = "efficientnet_lite0"
# At most this many classes per photo (--top and --classes). Memory no longer grows with it (one
# class at a time); time and output do: each class is two backward passes and one figure.
MAX_CLASSES = 20


def offered_methods() -> list[str]:
    """The registry's methods that ``explain`` offers, in display order: all but those that
    cost one forward pass per channel (Score-CAM: 1280 passes on this network)."""
    return [name for name, m in METHODS.items() if m.needs != "forward passes"]


def lookup_method(name: str) -> Callable:
    """The map function of a method by name, from :data:`numpycam.methods.registry.METHODS`:
    ``function(model, x, c, layer=None) -> (N, h, w)``. A ValueError otherwise: a known method
    that explain does not offer says why; an unknown name gets "did you mean" and the choices."""
    offered = offered_methods()
    if name in offered:
        return METHODS[name].function
    choices = f"choose one of {', '.join(offered)}"
    if name in METHODS:
        raise ValueError(f"method {name!r} is known, but costs one forward pass per channel, 1280 "
                         f"here; not offered by explain ({choices}, or call numpycam.{name} in Python)")
    key = str(name).lower().replace("-", "_").replace(" ", "_")
    close = difflib.get_close_matches(key, offered, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"unknown method {name!r}{hint} ({choices})")


def wanted_classes(classes) -> list[int]:
    """Class indices of names or indices, duplicates merged (first one kept), at most
    MAX_CLASSES of them (a ValueError saying so)."""
    wanted = list(dict.fromkeys(class_index(k) for k in classes))
    if len(wanted) > MAX_CLASSES:
        raise ValueError(f"{len(wanted)} different classes asked for; explain takes at most "
                         f"{MAX_CLASSES} per run (each is two backward passes and one figure)")
    return wanted


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


def layer_index(model, method: str, layer) -> int:
    """Index of the layer the method's map lives at; a ValueError naming the blocks if there is
    no such layer."""
    try:
        if method == "cam":  # CAM lives at the maps that feed GAP only
            check_cam_layer(model, gap_head(model), layer)
            return gap_head(model) - 1
        return feature_layer(model, layer)
    except KeyError as err:
        raise ValueError(f"{err.args[0]} (the blocks are named block1 .. block16)") from None


def _class_map(model, method: str, i: int, dS: np.ndarray) -> np.ndarray:
    """The method's map (1, h, w) at layer i for the class of dS, from the last forward pass."""
    f = model.activation(i)  # (1, K, h, w)
    if method == "cam":
        return weighted_sum(f, dS @ model.layers[-1].W)  # (1, h, w): sum_k w_k^c f_k
    g = model.backward(dS, until=i, param_grads=False)  # (1, K, h, w): g = dS^c/df
    return METHODS[method].map_from(f, g)  # (1, h, w)


def explain_classes(photo, model=None, *, classes=None, top: int = 3, method: str = "grad_cam",
                    layer: str | None = None, progress: Callable[[str], None] | None = None
                    ) -> Iterator[PhotoExplanation]:
    """:func:`explain_photo` one class at a time: yields a PhotoExplanation of one class
    (``classes``, ``maps``, ... of length 1) per explained class, in order, all from one
    forward pass. Arguments as in :func:`explain_photo`; they are checked before anything runs."""
    say = progress or (lambda message: None)
    lookup_method(method)  # unknown names fail before any work
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or not 1 <= top <= MAX_CLASSES:
        raise ValueError(f"top must be a whole number from 1 to {MAX_CLASSES}, got {top!r}")
    wanted = wanted_classes(classes) if classes else None
    is_path = isinstance(photo, (str, bytes)) or hasattr(photo, "__fspath__")
    image = load_image(photo, progress=say) if is_path else photo
    x = preprocess(image)  # (1, 3, 224, 224)
    return _explain(x, model, wanted, top, method, layer, say)


def _explain(x, model, wanted, top, method, layer, say):
    """The generator behind :func:`explain_classes`, on the checked input x (1, 3, 224, 224)."""
    seconds, t = {}, time.perf_counter()

    def lap(step):
        nonlocal t
        now = time.perf_counter()
        seconds[step] = seconds.get(step, 0.0) + now - t
        t = now

    if model is None:
        say(f"loading the {MODEL} network")
        model = efficientnet_lite0_pretrained()
        lap("load")
    i = layer_index(model, method, layer)
    j = gap_head(model) - 1 if method != "cam" else feature_layer(model, None)  # the second map's layer
    second_method = "grad_cam" if method == "cam" else "cam"
    say("forward pass")
    scores = model.forward(x)[0]  # (1000,); every layer's output is kept for the passes below
    kept = model.activation(i)  # to notice a forward pass run by someone else between two classes
    lap("forward")
    ranked = top_classes(scores, 1000)
    shown = ranked[:top]
    prob = {k: p for k, _, p in ranked}
    c = wanted if wanted is not None else [k for k, _, _ in shown]
    crop = crop_from_input(x)
    say(f"{method} at {model.layers[i].name} and guided backprop for {len(c)} "
        f"class{'es' if len(c) > 1 else ''}, one at a time")
    for k in c:
        if model.activation(i) is not kept:  # the caller used the model in between: ours again
            model.forward(x)
            kept = model.activation(i)
        dS = one_hot(np.array([k]), model.num_classes).astype(scores.dtype)  # (1, 1000)
        maps = _class_map(model, method, i, dS)  # (1, h, w)
        second = _class_map(model, second_method, j, dS)  # (1, h', w')
        lap(method)
        guided = model.backward(dS, guided=True, param_grads=False)  # (1, 3, 224, 224)
        lap("guided backprop")
        guided_map = guided * upsample(np.maximum(maps, 0), x.shape[2:])[:, None]
        yield PhotoExplanation(crop, scores, shown, [(int(k), class_names()[k], prob[int(k)])],
                               maps, second, guided, guided_map, method, second_method,
                               model.layers[i].name, dict(seconds))


def explain_photo(photo, model=None, *, classes=None, top: int = 3, method: str = "grad_cam",
                  layer: str | None = None, progress: Callable[[str], None] | None = None
                  ) -> PhotoExplanation:
    """Top classes and maps of a photo (a path, a shipped photo's name or an (H, W, 3) array).

    ``classes``: names or indices to explain (duplicates merged, at most MAX_CLASSES); by
    default the ``top`` most probable ones (1 <= top <= MAX_CLASSES). ``model``: by default
    ``numpycam.pretrained("efficientnet_lite0")``. ``progress`` is called with a short message
    before each step. One forward pass; the classes are explained one after the other.
    """
    parts = list(explain_classes(photo, model, classes=classes, top=top, method=method,
                                 layer=layer, progress=progress))
    joined = {k: np.concatenate([getattr(p, k) for p in parts])
              for k in ("maps", "second", "guided", "guided_map")}
    return replace(parts[-1], classes=[p.classes[0] for p in parts], **joined)
