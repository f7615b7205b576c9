"""ReLU6, the clipped ReLU of MobileNet and EfficientNet-Lite (cheap to quantise).

    out = min(max(x, 0), 6)            dx = dout * [0 < x < 6]
    guided:  dx = dout * [0 < x < 6] * [dout > 0]

The guided rule is guided backprop's (Springenberg et al. 2015, "Striving for Simplicity: The All
Convolutional Net") applied where ReLU6 lets a gradient through: only positive gradients pass.
"""

from __future__ import annotations

import numpy as np


def relu6_forward(x):
    """(out, mask): mask = 0 < x < 6 is all that backward needs (1 byte per number)."""
    out = np.clip(x, 0, 6).astype(x.dtype, copy=False)
    return out, (x > 0) & (x < 6)


def relu6_backward(dout, mask, guided: bool = False):
    if guided:
        mask = mask & (dout > 0)
    return np.multiply(dout, mask, dtype=dout.dtype)
