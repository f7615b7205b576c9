"""The post's two architectures.

``gap_cnn``: the CAM architecture. conv/ReLU/pool blocks, a last conv + ReLU whose maps f_k go
straight into Global Average Pooling, then one Dense layer: S^c = sum_k w_k^c F_k + b_c.

``fc_cnn``: the "conventional" CNN. conv/ReLU/pool blocks, Flatten, a hidden Dense + ReLU and an
output Dense; no GAP, so CAM does not apply to it (Grad-CAM does).

Both start with a parameter-free ``Center`` layer (each image minus its mean colour) unless
``center=False``: the backgrounds have random colours, and without it the first convolution
spends hundreds of steps at chance before it finds the shapes' edges.

``random_gap_network``: a small random CAM-shaped float64 network with an input batch, the case
the tests and the grader (numpycam.classroom.grader) prove the CAM / Grad-CAM identities on.
"""

from __future__ import annotations

import numpy as np

from numpycam.nn.layers import Center, Conv2D, Dense, Flatten, GlobalAvgPool2D, MaxPool2D, ReLU
from numpycam.nn.sequential import Sequential


def _conv_blocks(in_channels, widths, rng, dtype, n_pools: int, center: bool):
    layers, c = ([("center", Center())] if center else []), in_channels
    for i, width in enumerate(widths, start=1):
        layers += [(f"conv{i}", Conv2D(c, width, 3, padding=1, rng=rng, dtype=dtype)),
                   (f"relu{i}", ReLU())]
        if i <= n_pools:
            layers.append((f"pool{i}", MaxPool2D(2)))
        c = width
    return layers, c


def gap_cnn(in_channels: int = 3, num_classes: int = 4, widths=(16, 32, 64), *, seed: int = 0,
            pools: int | None = None, center: bool = True, dtype=np.float32) -> Sequential:
    """[Center], conv3x3-ReLU-pool blocks, a last conv3x3-ReLU, GAP, Dense (conv1.., gap, fc).

    ``pools`` max-pool layers follow the first blocks (default: every block but the last), so
    extra blocks after them deepen the network without shrinking the last feature map.

    With the defaults a 64 x 64 image gives 64 maps of 16 x 16 at ``conv3``/``relu3``, so CAM
    has Z = 256 positions. Works for any input size (GAP removes the spatial size).
    """
    rng = np.random.default_rng(seed)
    n_pools = len(widths) - 1 if pools is None else pools
    layers, k = _conv_blocks(in_channels, widths, rng, dtype, n_pools, center=center)
    layers += [("gap", GlobalAvgPool2D()), ("fc", Dense(k, num_classes, rng=rng, dtype=dtype))]
    return Sequential(layers)


def fc_cnn(in_channels: int = 3, num_classes: int = 4, widths=(16, 32, 32), hidden: int = 64,
           input_size: int = 64, *, seed: int = 0, center: bool = True,
           dtype=np.float32) -> Sequential:
    """[Center], conv3x3-ReLU-pool blocks, Flatten, Dense(hidden)-ReLU, Dense; no GAP.

    The flattened size depends on ``input_size``: each block halves it, so the defaults give
    32 maps of 8 x 8 = 2048 features into the hidden layer.
    """
    rng = np.random.default_rng(seed)
    layers, k = _conv_blocks(in_channels, widths, rng, dtype, len(widths), center=center)
    side = input_size
    for _ in widths:
        side //= 2
    if side < 1:
        raise ValueError(f"input_size {input_size} is too small for {len(widths)} pooling blocks")
    n = len(widths)
    layers += [("flatten", Flatten()),
               ("fc1", Dense(k * side * side, hidden, rng=rng, dtype=dtype)),
               (f"relu{n + 1}", ReLU()),
               ("fc2", Dense(hidden, num_classes, rng=rng, dtype=dtype))]
    return Sequential(layers)


def deepen(model: Sequential, width: int = 64, *, seed: int = 0, dtype=np.float32) -> Sequential:
    """A GAP model with one more conv3x3-ReLU block before GAP and a new Dense head.

    The layers of ``model`` up to its GAP are shared (not copied), so training the result
    fine-tunes them; the new conv sees 8 more pixels of context in each direction at the same
    16 x 16 resolution. This is the post's fine-tuning step used to widen what the last maps
    see: the shipped ``gap`` model is ``gap_cnn()`` trained, deepened, then trained again.
    """
    names = model.names
    if len(names) < 2 or not isinstance(model.layers[-2], GlobalAvgPool2D):
        raise ValueError(f"deepen needs a model ending in GlobalAvgPool2D + Dense, got {names}")
    k = model.layers[-1].in_features
    n = sum(isinstance(layer, Conv2D) for layer in model.layers) + 1
    rng = np.random.default_rng(seed)
    layers = [(layer.name, layer) for layer in model.layers[:-2]]
    layers += [(f"conv{n}", Conv2D(k, width, 3, padding=1, rng=rng, dtype=dtype)),
               (f"relu{n}", ReLU()), ("gap", GlobalAvgPool2D()),
               ("fc", Dense(width, model.layers[-1].out_features, rng=rng, dtype=dtype))]
    return Sequential(layers)


def random_gap_network(rng: np.random.Generator, relu_after_last: bool = True):
    """(model, x, c): a random CAM-shaped float64 network, an input batch and one class per image.

    0 to 2 conv (1x1 or 3x3) + ReLU blocks of 1 to 4 channels, each followed by a 2x2 max pool
    half the time; a last conv of K = 1..5 channels (kernel 1, 2 or 3, padding 1), its ReLU
    (unless ``relu_after_last`` is False), GAP and a Dense layer to M = 2..5 classes; every
    parameter moved off its initial value (so no bias is zero); N = 1..3 images of C = 1..3
    channels and side 4..12, standard normal.
    """
    c = channels = int(rng.integers(1, 4))
    layers = []
    for _ in range(int(rng.integers(0, 3))):
        width = int(rng.integers(1, 5))
        layers += [Conv2D(channels, width, int(rng.choice([1, 3])), padding=1, rng=rng,
                          dtype=np.float64), ReLU()]
        if rng.random() < 0.5:
            layers.append(MaxPool2D(2))
        channels = width
    K, M = int(rng.integers(1, 6)), int(rng.integers(2, 6))
    layers.append(Conv2D(channels, K, int(rng.choice([1, 2, 3])), padding=1, rng=rng,
                         dtype=np.float64))
    if relu_after_last:
        layers.append(ReLU())
    layers += [GlobalAvgPool2D(), Dense(K, M, rng=rng, dtype=np.float64)]
    model = Sequential(layers)
    for layer, p in model.parameters():  # non-zero biases everywhere
        setattr(layer, p, getattr(layer, p) + 0.1 * rng.standard_normal(getattr(layer, p).shape))
    n, side = int(rng.integers(1, 4)), int(rng.integers(4, 13))
    return model, rng.standard_normal((n, c, side, side)), rng.integers(0, M, n)
