"""EfficientNet-Lite0 (Tan and Le 2019, "EfficientNet: Rethinking Model Scaling for Convolutional
Neural Networks"; the Lite variants drop squeeze-and-excitation and use ReLU6) as a Sequential.

    stem      TF-same zero padding, 3x3 conv stride 2 (3 -> 32), BatchNorm, ReLU6    224 -> 112
    block1..16  MBConv blocks (table below): [1x1 expand conv, BN, ReLU6] (when expand > 1),
              k x k depthwise conv with TF-same padding, BN, ReLU6, 1x1 project conv, BN;
              a Residual (x + block(x)) when stride is 1 and channels in = out
    head      1x1 conv 320 -> 1280, BatchNorm, ReLU6: the maps f_k, (N, 1280, 7, 7) at 224
    gap, fc   GlobalAvgPool2D and Dense(1280, 1000): the ImageNet logits S^c

The network is CAM-shaped (the post's architecture), so ``nc.cam`` works on it unchanged with
f = the output of ``head_relu``. BatchNorm: eps 1e-3, momentum 0.01 (TensorFlow's decay 0.99).
Convolutions have no bias (each is followed by BatchNorm, whose beta is the bias).

TF "same" padding is fixed for the ``image_size`` the model is built for (224), as the PyTorch
port does; at any size divisible by 32 it is the same padding, so smaller test inputs (64, 96)
run through the identical network.
"""

from __future__ import annotations

import numpy as np

from numpycam.nn.blocks import Block, Residual
from numpycam.nn.layers import Conv2D, Dense, GlobalAvgPool2D
from numpycam.nn.mobile import BatchNorm2D, DepthwiseConv2D, ReLU6, ZeroPad2D, same_padding
from numpycam.nn.sequential import Sequential

# (repeats, kernel, stride of the first block, expand ratio, channels in, channels out) per stage
STAGES = [(1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
          (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320)]
BN = {"eps": 1e-3, "momentum": 0.01}


def _bn(c, dtype):
    return BatchNorm2D(c, dtype=dtype, **BN)


def block_table() -> list[tuple[int, int, int, int, int]]:
    """(kernel, stride, expand, c_in, c_out) of the 16 MBConv blocks, in order."""
    rows = []
    for repeats, k, s, e, cin, cout in STAGES:
        rows.append((k, s, e, cin, cout))
        rows += [(k, 1, e, cout, cout)] * (repeats - 1)
    return rows


def efficientnet_lite0(image_size: int = 224, *, dtype=np.float32) -> Sequential:
    """The architecture with freshly initialised weights (BatchNorm: gamma 1, beta 0)."""
    rng = np.random.default_rng(0)
    top, bottom = same_padding(image_size, 3, 2)
    layers = [("stem_pad", ZeroPad2D(top, bottom, top, bottom)),
              ("stem_conv", Conv2D(3, 32, 3, stride=2, bias=False, rng=rng, dtype=dtype)),
              ("stem_bn", _bn(32, dtype)), ("stem_relu", ReLU6())]
    size = -(-image_size // 2)
    for i, (k, s, e, cin, cout) in enumerate(block_table(), start=1):
        mid = cin * e
        body = []
        if e != 1:
            body += [("expand_conv", Conv2D(cin, mid, 1, bias=False, rng=rng, dtype=dtype)),
                     ("expand_bn", _bn(mid, dtype)), ("expand_relu", ReLU6())]
        before, after = same_padding(size, k, s)
        body += [("depthwise_conv", DepthwiseConv2D(mid, k, s, (before, after, before, after), bias=False,
                                                    rng=rng, dtype=dtype)),
                 ("depthwise_bn", _bn(mid, dtype)), ("depthwise_relu", ReLU6()),
                 ("project_conv", Conv2D(mid, cout, 1, bias=False, rng=rng, dtype=dtype)),
                 ("project_bn", _bn(cout, dtype))]
        size = -(-size // s)
        kind = Residual if s == 1 and cin == cout else Block
        layers.append((f"block{i}", kind(body)))
    layers += [("head_conv", Conv2D(320, 1280, 1, bias=False, rng=rng, dtype=dtype)),
               ("head_bn", _bn(1280, dtype)), ("head_relu", ReLU6()),
               ("gap", GlobalAvgPool2D()), ("fc", Dense(1280, 1000, rng=rng, dtype=dtype))]
    return Sequential(layers)


_BN_NAMES = {"weight": "gamma", "bias": "beta", "running_mean": "running_mean", "running_var": "running_var"}
_BLOCK_PARTS = {"_expand_conv": "expand_conv", "_bn0": "expand_bn", "_depthwise_conv": "depthwise_conv",
                "_bn1": "depthwise_bn", "_project_conv": "project_conv", "_bn2": "project_bn"}
_TOP_PARTS = {"_conv_stem": "stem_conv", "_bn0": "stem_bn", "_conv_head": "head_conv", "_bn1": "head_bn",
              "_fc": "fc"}


def numpycam_key(torch_key: str) -> str | None:
    """The state key of our model for a key of the PyTorch state dict (None: not used).

    ``_blocks.3._expand_conv.weight`` -> ``block4/expand_conv/W``; BatchNorm's weight and bias
    are gamma and beta; ``num_batches_tracked`` (a training counter) has no counterpart.
    """
    parts = torch_key.split(".")
    if parts[-1] == "num_batches_tracked":
        return None
    if parts[0] == "_blocks" and len(parts) == 4:
        layer = f"block{int(parts[1]) + 1}/{_BLOCK_PARTS.get(parts[2], '?')}"
    elif len(parts) == 2:
        layer = _TOP_PARTS.get(parts[0], "?")
    else:
        layer = "?"
    bn = layer.endswith("_bn")
    name = _BN_NAMES.get(parts[-1]) if bn else {"weight": "W", "bias": "b"}.get(parts[-1])
    if "?" in layer or name is None:
        raise ValueError(f"unexpected key {torch_key!r} in an EfficientNet-Lite0 state dict")
    return f"{layer}/{name}"


def from_state_dict(sd: dict[str, np.ndarray], image_size: int = 224, *, dtype=np.float32) -> Sequential:
    """EfficientNet-Lite0 with the weights of a PyTorch state dict (as read by ``read_pth``),
    in evaluation mode. Every weight must be used and every parameter set, or ValueError."""
    model = efficientnet_lite0(image_size, dtype=dtype)
    expected = model.state()
    seen = set()
    for tkey, arr in sd.items():
        key = numpycam_key(tkey)
        if key is None:
            continue
        if key not in expected:
            raise ValueError(f"{tkey!r} -> {key!r} is not a weight of EfficientNet-Lite0")
        want = expected[key].shape
        if arr.size != int(np.prod(want)) or (arr.shape != want and "depthwise" not in key):
            raise ValueError(f"{tkey!r} has shape {arr.shape}, {key!r} needs {want}")
        layer_path, _, p = key.rpartition("/")
        # the depthwise kernels are stored (C, 1, k, k), one input channel per group: ours are (C, k, k)
        setattr(model.locate(layer_path), p, np.ascontiguousarray(arr.reshape(want), dtype=dtype))
        seen.add(key)
    missing = sorted(set(expected) - seen)
    if missing:
        raise ValueError(f"the state dict has no weights for {missing[:6]}{' ...' if len(missing) > 6 else ''}")
    return model.eval()
