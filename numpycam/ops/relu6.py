"""ReLU6, the clipped ReLU of MobileNet and EfficientNet-Lite (cheap to quantise).

    out = min(max(x, 0), 6)            dx = dout * [0 < x < 6]
    guided:  dx = dout * [0 < x < 6] * [dout > 0]

The guided rule is guided backprop's (Springenberg et al. 2015, "Striving for Simplicity: The All
Convolutional Net") applied where ReLU6 lets a gradient through: only positive gradients pass.
"""

from __future__ import annotations

import numpy as np


def relu6_forward(x):
    """(out, out): 0 < x < 6 exactly where 0 < out < 6, so the output itself is the cache.

    It is kept anyway (as the layer's activation), so forward makes no mask: one pass over x.
    """
    out = np.clip(x, 0, 6).astype(x.dtype, copy=False)
    return out, out


def relu6_backward(dout, out, guided: bool = False):
    """dout where 0 < x < 6 (read from the output), 0 elsewhere; guided: also where dout > 0."""
    mask = (out > 0) & (out < 6)
    if guided:
        mask &= dout > 0
    return np.multiply(dout, mask, dtype=dout.dtype)
