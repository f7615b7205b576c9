"""ReLU, and the guided-backprop rule for its backward pass.

    ReLU:    out = max(x, 0)                  dx = dout * [x > 0]
    guided:  dx = dout * [x > 0] * [dout > 0]

Guided backpropagation (Springenberg et al. 2015, "Striving for Simplicity: The All
Convolutional Net") changes only the backward pass of each ReLU: a gradient goes back where the
input was positive (the plain derivative) AND the gradient coming down is positive, so only
evidence FOR the class reaches the image. The forward pass is the same ReLU either way.
"""

from __future__ import annotations

import numpy as np


def relu_forward(x):
    """(out, mask) with out = max(x, 0) and mask = [x > 0], all that backward needs. Same shape.

    ``np.maximum`` and ``>`` are plain ufuncs: one pass each over x in its memory order.
    """
    return np.maximum(x, 0).astype(x.dtype, copy=False), x > 0


def relu_backward(dout, mask, guided: bool = False):
    """dx = dout * [x > 0]; with ``guided``, dx = dout * [x > 0] * [dout > 0]. Same shape.

    A multiplication by the boolean mask (one ufunc pass, in dout's memory order).
    """
    if guided:
        mask = mask & (dout > 0)
    return np.multiply(dout, mask, dtype=dout.dtype)
