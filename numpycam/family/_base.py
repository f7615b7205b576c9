"""What every member of the family shares; a method file adds only its weight rule.

    f        the output of ``layer`` (N, K, h, w), by default the last 4-D map (the one fed to
             GAP or Flatten)
    g        dS^c/df (N, K, h, w), S^c the raw score (logit) of class c, one backward pass
    weights  (N, K) or per position (N, K, h, w): the method
    map      sum_k weight_k f_k, then ReLU if the method (or ``relu=``) asks for it. (N, h, w).
"""

from __future__ import annotations

import numpy as np

from numpycam.cam import Explanation, _prepare, feature_layer, one_hot, score_gradient, weighted_sum


def gradient_method(model, x, c, layer, weights_of, *, relu: bool, details: bool):
    """The map of a method whose weights are ``weights_of(f, g)``, g = dS^c/df."""
    x, c = _prepare(model, x, c)
    i = feature_layer(model, x, layer)
    scores, f, g = score_gradient(model, x, one_hot(c, model.num_classes), i)
    return finish(f, weights_of(f, g), scores, c, model.layers[i].name, relu=relu, details=details)


def finish(f, weights, scores, c, layer_name: str, *, relu: bool, details: bool):
    """sum_k weight_k f_k, the optional ReLU, and the Explanation if asked for."""
    maps = weighted_sum(f, weights)  # (N, h, w)
    if relu:
        maps = np.maximum(maps, 0)
    return Explanation(maps, f, weights, scores, c, layer_name) if details else maps
