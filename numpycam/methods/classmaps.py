"""CAM and Grad-CAM, computed term by term from the post's equations.

CAM (Zhou et al. 2016, "Learning Deep Features for Discriminative Localization", Eq. 2), for a
network whose last conv maps f_k feed GAP and one Dense layer S^c = sum_k w_k^c F_k + b_c:

    L_CAM^c(i, j) = sum_k w_k^c f_k(i, j)

Grad-CAM (Selvaraju et al. 2017, "Grad-CAM: Visual Explanations from Deep Networks via
Gradient-based Localization", Eqs. 1 and 2), for any network and any conv layer:

    a_k^c = (1/Z) sum_i sum_j dS^c / df_k(i, j)
    L_Grad-CAM^c(i, j) = ReLU(sum_k a_k^c f_k(i, j))

Both are one weighted sum over channels, ``weighted_sum(f, weights)``; the methods differ only in
where their weights come from. All maps are (N, h, w), at the resolution of f.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from numpycam.methods.postprocess import upsample
from numpycam.nn.layers import Dense, Flatten, GlobalAvgPool2D
from numpycam.nn.sequential import Sequential
from numpycam.validate import check_finite, model_inputs, positive_int


@dataclass(frozen=True)
class Explanation:
    """Everything one call computed, for lessons and figures.

    maps (N, h, w): the result.  f (N, K, h, w): the feature maps f_k.  weights (N, K) or
    (N, K, h, w): w_k^c or a_k^c.  scores (N, M): S before softmax.  c (N,): the classes asked
    for.  layer: the name of the layer whose output is f.
    """

    maps: np.ndarray
    f: np.ndarray
    weights: np.ndarray
    scores: np.ndarray
    c: np.ndarray
    layer: str

    @property
    def weighted(self) -> np.ndarray:
        """The K per-channel maps weight_k * f_k (N, K, h, w), before they are summed."""
        w = self.weights if self.weights.ndim == 4 else self.weights[:, :, None, None]
        return w * self.f

    @property
    def Z(self) -> int:
        """Positions per feature map, h * w."""
        return self.f.shape[2] * self.f.shape[3]

    def __repr__(self) -> str:
        return (f"Explanation(maps {self.maps.shape}, f {self.f.shape} at {self.layer!r}, "
                f"weights {self.weights.shape}, c={self.c.tolist()})")


BATCH = 64  # images per forward/backward pass: memory is bounded by the batch, not by N


def in_batches(method, model, x, c, batch_size: int, **kwargs):
    """``method(model, x[i:i+b], c[i:i+b], **kwargs)`` over batches of b = ``batch_size``
    images, joined: the same result as one call on all of x (images in a batch do not
    interact), with memory bounded by b. None when x fits in one batch: the caller computes.
    ``c`` None (class-agnostic methods) is passed on as None."""
    b = positive_int(batch_size, "batch_size")
    if len(x) <= b:
        return None
    def part(i):
        return method(model, x[i : i + b], None if c is None else c[i : i + b], batch_size=b, **kwargs)

    if kwargs.get("details"):
        parts = [part(i) for i in range(0, len(x), b)]
        fields = ("maps", "f", "weights", "scores", "c")
        return Explanation(*(np.concatenate([getattr(p, k) for p in parts]) for k in fields),
                           parts[0].layer)
    first = part(0)
    out = np.empty((len(x), *first.shape[1:]), first.dtype)  # filled in place: no second copy
    out[:b] = first
    for i in range(b, len(x), b):
        out[i : i + b] = part(i)
    return out


def weighted_sum(f: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """sum_k weight_k f_k: f (N, K, h, w) with weights (N, K) or per position (N, K, h, w)."""
    if weights.ndim == 2:
        return np.einsum("nk,nkij->nij", weights, f)  # (N, h, w)
    return (weights * f).sum(axis=1)  # (N, h, w)


def one_hot(c: np.ndarray, num_classes: int) -> np.ndarray:
    """dS (N, M): row n is 1 at class c[n], so one backward pass gives every image the gradient
    of its own score S^{c_n} (images in a batch do not interact)."""
    d = np.zeros((len(c), num_classes))
    d[np.arange(len(c)), c] = 1
    return d


def gap_head(model: Sequential) -> int:
    """Index of the GlobalAvgPool2D that feeds the final Dense, or a ValueError saying why not."""
    i = next((i for i, lay in enumerate(model.layers) if isinstance(lay, GlobalAvgPool2D)), None)
    if i is None or i != len(model.layers) - 2 or not isinstance(model.layers[-1], Dense):
        found = ("no GlobalAvgPool2D layer" if i is None
                 else f"{model.layers[i].name!r} is not followed by one final Dense")
        raise ValueError(
            f"CAM needs a network whose last conv maps go through GlobalAvgPool2D into one final "
            f"Dense layer, but this model has {found} (layers: {model.names}). Use "
            "numpycam.grad_cam(model, x, c), which works on any architecture, or give a conv "
            "layer a GAP head and train it: numpycam.gap_head_at(model, layer), "
            "numpycam.fit_head."
        )
    return i


def cam(model: Sequential, x, c, layer: str | int | None = None, *, details: bool = False,
        batch_size: int = BATCH):
    """L_CAM^c(i, j) = sum_k w_k^c f_k(i, j): raw values, no ReLU, no scaling. (N, h, w).

    f is the input of the model's GlobalAvgPool2D, w = model's final Dense ``W``; ``c`` is an int
    or one int per image. CAM is defined at that one layer only: ``layer`` is accepted so that
    every method is called alike (numpycam.methods.registry), and must be None or name that layer (for
    a map at another layer: ``grad_cam(..., layer=...)``, or a GAP head trained there with
    numpycam.train.heads). ``details=True`` returns an :class:`Explanation` instead. Computed ``batch_size`` images
    at a time.
    """
    x, c = model_inputs(model, x, c)
    joined = in_batches(cam, model, x, c, batch_size, layer=layer, details=details)
    if joined is not None:
        return joined
    p = gap_head(model)  # index of the GAP layer; f is the output of layer p - 1
    if layer is not None and (p == 0 or model.index(layer) != p - 1):
        raise ValueError(
            f"CAM is defined only at the maps that feed GAP and the final Dense "
            f"({model.layers[p - 1].name!r} here), not at {layer!r}. Two ways to a map at {layer!r}: "
            f"numpycam.grad_cam(model, x, c, layer={layer!r}), or put a GAP head there and train "
            f"it: tuned = numpycam.gap_head_at(model, {layer!r}); numpycam.fit_head(tuned, "
            "images, labels); numpycam.cam(tuned, x, c)"
            if p > 0 else "CAM of this model explains its input; call it with layer=None")
    scores = model.forward(x)
    f = model.activation(p - 1) if p > 0 else x  # (N, K, h, w)
    w = model.layers[-1].W[c]  # (N, K): row n is w_k^{c_n}
    maps = check_finite(weighted_sum(f, w), "the CAM maps", x)
    if not details:
        return maps
    return Explanation(maps, f, w, scores, c, model.layers[p - 1].name if p > 0 else "input")


def feature_layer(model: Sequential, layer: str | int | None) -> int:
    """Index of ``layer``, or by default of the last layer whose output is a 4-D map.

    The output stays a 4-D map (N, K, h, w) up to the first GAP, Flatten or Dense layer, which
    makes it flat; so which layers qualify follows from the layer types, without a forward pass.
    """
    flat = next((i for i, lay in enumerate(model.layers)
                 if isinstance(lay, (GlobalAvgPool2D, Flatten, Dense))), len(model.layers))
    if layer is None:
        if flat == 0:
            raise ValueError("this model has no layer with a 4-D (N, K, h, w) output to explain")
        return flat - 1
    i = model.index(layer)
    if i >= flat:
        raise ValueError(
            f"layer {model.layers[i].name!r} outputs a flat (N, features) array, not a 4-D map "
            f"(N, K, h, w); Grad-CAM needs one of {model.names[:flat]}"
        )
    return i


def score_gradient(model: Sequential, x, dscores: np.ndarray, layer: int):
    """(S, f, g): scores, the output f of ``layer`` and g = d(sum_n,c dscores[n,c] S^c_n)/df."""
    scores = model.forward(x)
    f = model.activation(layer)
    g = model.backward(np.asarray(dscores, dtype=scores.dtype), until=layer, param_grads=False)
    return scores, f, g


def grad_cam_weights(f: np.ndarray, g: np.ndarray) -> np.ndarray:
    """a_k^c = (1/Z) sum_ij dS^c/df_k(i, j): the gradient averaged over positions. (N, K)."""
    return g.mean(axis=(2, 3))  # Grad-CAM Eq. 1


def gradient_method(model: Sequential, x, c, layer, weights_of, *, relu: bool, details: bool,
                    batch_size: int = BATCH):
    """The map of a method whose channel weights are ``weights_of(f, g)``, g = dS^c/df.

    One forward and one backward pass give f and g at ``layer``; the weighted sum, the optional
    ReLU and the Explanation are the same for every method (numpycam.methods uses this too).
    ``batch_size`` images at a time.
    """
    x, c = model_inputs(model, x, c)
    joined = in_batches(gradient_method, model, x, c, batch_size, layer=layer,
                        weights_of=weights_of, relu=relu, details=details)
    if joined is not None:
        return joined
    i = feature_layer(model, layer)
    scores, f, g = score_gradient(model, x, one_hot(c, model.num_classes), i)
    return finish(f, weights_of(f, g), scores, c, model.layers[i].name, relu=relu, details=details)


def combine(f: np.ndarray, weights: np.ndarray, relu: bool) -> np.ndarray:
    """sum_k weight_k f_k, then the ReLU if asked for. (N, h, w)."""
    maps = weighted_sum(f, weights)
    return np.maximum(maps, 0) if relu else maps


def finish(f, weights, scores, c, layer_name: str, *, relu: bool, details: bool):
    """The map of ``combine``, or with ``details`` the Explanation around it."""
    maps = check_finite(combine(f, weights, relu), "the maps")  # (N, h, w)
    return Explanation(maps, f, weights, scores, c, layer_name) if details else maps


def counterfactual_weights(f: np.ndarray, g: np.ndarray) -> np.ndarray:
    """-a_k^c = (1/Z) sum_ij -dS^c/df_k(i, j): Grad-CAM's weights of the negated gradient. (N, K)."""
    return -grad_cam_weights(f, g)


def grad_cam(model: Sequential, x, c, layer: str | int | None = None, *, relu: bool = True,
             details: bool = False, counterfactual: bool = False, batch_size: int = BATCH):
    """L = ReLU(sum_k a_k^c f_k(i, j)), a_k^c = (1/Z) sum_ij dS^c/df_k(i, j). (N, h, w).

    ``layer`` (a name or an index) gives f = that layer's output; by default the last layer
    whose output is 4-D, i.e. the map that feeds GAP or Flatten. ``relu=False`` returns the
    weighted sum before the ReLU (for teaching). Works on any model, CAM-shaped or not.

    ``counterfactual=True`` weighs the maps by the NEGATED gradient (the Grad-CAM journal
    paper, Section 5.2, "counterfactual explanations"):

        L_cf^c(i, j) = ReLU(sum_k (-a_k^c) f_k(i, j))

    the regions whose removal would make the network MORE confident in class c. On a GAP
    network at the maps that feed GAP, a_k^c = w_k^c / Z, so L_cf^c = ReLU(-L_CAM^c) / Z.
    """
    rule = counterfactual_weights if counterfactual else grad_cam_weights
    return gradient_method(model, x, c, layer, rule, relu=relu, details=details,
                           batch_size=batch_size)


def input_gradient(model: Sequential, x, c, *, guided: bool = False,
                   batch_size: int = BATCH) -> np.ndarray:
    """dS^c / dx (N, C, H, W): how much each input pixel moves the score of class c."""
    x, c = model_inputs(model, x, c)
    joined = in_batches(input_gradient, model, x, c, batch_size, guided=guided)
    if joined is not None:
        return joined
    scores = model.forward(x)
    dS = one_hot(c, model.num_classes).astype(scores.dtype)
    return check_finite(model.backward(dS, guided=guided, param_grads=False), "the input gradient", x)


def guided_backprop(model: Sequential, x, c, *, batch_size: int = BATCH) -> np.ndarray:
    """dS^c/dx with every ReLU passing back only positive gradients at positive inputs.

    Springenberg et al. 2015, "Striving for Simplicity: The All Convolutional Net". (N, C, H, W).
    """
    return input_gradient(model, x, c, guided=True, batch_size=batch_size)


def guided_grad_cam(model: Sequential, x, c, layer: str | int | None = None, *,
                    batch_size: int = BATCH) -> np.ndarray:
    """Guided backprop times the Grad-CAM map upsampled to the input size. (N, C, H, W).

    Selvaraju et al. 2017, Section 3: the element-wise product keeps the fine detail of guided
    backprop only where Grad-CAM says the class is.
    """
    x, c = model_inputs(model, x, c)
    joined = in_batches(guided_grad_cam, model, x, c, batch_size, layer=layer)
    if joined is not None:
        return joined
    L = grad_cam(model, x, c, layer)  # (N, h, w)
    return guided_backprop(model, x, c) * upsample(L, x.shape[2:])[:, None]  # (N, C, H, W)
