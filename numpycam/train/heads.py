"""A GAP head at any conv layer: the post's way to get a CAM from a layer other than the last.

CAM (Zhou et al., "Learning Deep Features for Discriminative Localization") needs maps f_k that
feed Global Average Pooling and one Dense layer, S^c = sum_k w_k^c F_k + b_c. To ask for a CAM
at an earlier layer, cut the network there, put a new GAP + Dense on that layer's maps, and
train only the new Dense layer (fine-tuning the head):

    F_k = (1/Z) sum_ij f_k(i, j)          f: the output of ``layer``, (N, K, h, w)
    S^c = sum_k w_k^c F_k + b_c            the new head, w (M, K)
    L_CAM^c(i, j) = sum_k w_k^c f_k(i, j)  now defined at ``layer``: nc.cam(tuned, x, c)

The layers before the cut are frozen, so each image's maps f are the same in every epoch:
:func:`fit_head` computes them once and trains GAP + Dense on the stored maps, which is the
same arithmetic as training the whole ``tuned`` network with those layers frozen (without the
left-right flips), in a fraction of the time. Lesson 4 does the same surgery by hand.
"""

from __future__ import annotations

import numpy as np

from numpycam.nn.layers import Dense, Flatten, GlobalAvgPool2D
from numpycam.nn.sequential import Sequential
from numpycam.train.fit import History, as_batch, check_labels, fit


def gap_head_at(model: Sequential, layer: str | int, *, seed: int = 0) -> Sequential:
    """``model``'s layers up to and including ``layer`` (shared, not copied), then a new
    ``gap`` (GlobalAvgPool2D) and ``fc`` (Dense K -> M, M = model.num_classes, initialised with
    ``default_rng(seed)``). ``layer`` must output 4-D maps (N, K, h, w): a conv layer, its ReLU
    or a pooling layer. The result scores like a CAM network only after :func:`fit_head`."""
    if not isinstance(model, Sequential):
        raise TypeError(f"gap_head_at cuts a numpycam Sequential model, got {type(model).__name__}")
    p = model.index(layer)  # KeyError naming the layers when there is no such layer
    stop = next((i for i, lay in enumerate(model.layers)
                 if isinstance(lay, (GlobalAvgPool2D, Dense, Flatten))),
                len(model.layers))
    if p >= stop:
        raise ValueError(
            f"layer {model.names[p]!r} does not output feature maps (N, K, h, w): a GAP head "
            f"needs a conv, ReLU or pooling layer before {model.names[stop]!r}; choose one of "
            f"{model.names[:stop]}")
    probe = model.layers[: p + 1]
    k = _channels(probe)
    if k is None:
        raise ValueError(f"no conv layer up to {model.names[p]!r}, so there are no feature "
                         f"maps to pool; choose a layer after the first conv of {model.names}")
    rng = np.random.default_rng(seed)
    head = [("gap", GlobalAvgPool2D()),
            ("fc", Dense(k, model.num_classes, rng=rng, dtype=model.dtype))]
    return Sequential([(lay.name, lay) for lay in probe] + head)


def _channels(layers) -> int | None:
    """K: the channels of the last layer that sets them (a conv, or a block's last conv)."""
    for lay in reversed(layers):
        k = _channels(lay.body.layers) if lay.holds_layers else getattr(lay, "out_channels", None)
        if k is not None:
            return int(k)
    return None


def stored_maps(tuned: Sequential, images, batch_size: int = 64) -> np.ndarray:
    """f (N, K, h, w): the output of the layer that feeds ``tuned``'s GAP, batch by batch."""
    p = tuned.index("gap") - 1
    x = np.asarray(images)
    out = []
    for i in range(0, len(x), batch_size):
        tuned.forward(as_batch(x[i : i + batch_size], tuned.dtype))
        out.append(tuned.activation(p))
    return np.concatenate(out)  # (N, K, h, w)


def fit_head(tuned: Sequential, images, labels, *, epochs: int = 200, lr: float = 0.1,
             test: tuple | None = None, batch_size: int = 64, seed: int = 0,
             log=None) -> History:
    """Train only ``tuned``'s GAP + Dense head (from :func:`gap_head_at`) on the stored maps
    of ``images``; the layers before the cut do not change. ``test`` = (images, labels) is
    scored after every epoch. Returns the :class:`numpycam.train.fit.History`."""
    if not (isinstance(tuned, Sequential) and tuned.names[-2:] == ["gap", "fc"]
            and isinstance(tuned.layers[-2], GlobalAvgPool2D)):
        raise ValueError("fit_head trains the head of a model from gap_head_at(model, layer): "
                         f"one ending in 'gap', 'fc'; got layers {getattr(tuned, 'names', tuned)}")
    images, labels = check_labels(images, labels, tuned.num_classes)
    head = Sequential([("gap", tuned.layers[-2]), ("fc", tuned.layers[-1])])  # shared layers
    if test is not None:
        test = (stored_maps(tuned, test[0], batch_size), np.asarray(test[1]))
    return fit(head, stored_maps(tuned, images, batch_size), labels, epochs=epochs, lr=lr,
               batch_size=batch_size, test=test, flip=False, seed=seed, log=log)
