"""Gradients with respect to the input: the plain one, guided backprop and Guided Grad-CAM.

The input gradient dS^c/dx (N, C, H, W) says how much each pixel moves the score of class c;
one backward pass from the one-hot dS down to the image gives it.

Guided backprop (Springenberg, Dosovitskiy, Brox & Riedmiller 2015, "Striving for Simplicity:
The All Convolutional Net") changes only the backward rule of every ReLU, out = max(x, 0):

    plain ReLU:   dx = dout * [x > 0]
    guided ReLU:  dx = dout * [x > 0] * [dout > 0]

so only positive gradients pass, and only at positive inputs. The rule is ReLU's backward in
numpycam.ops with ``guided=True`` (ReLU6's too), which ``model.backward(dS, guided=True)``
asks of every ReLU layer.

Guided Grad-CAM (Selvaraju et al. 2017, Section 3) multiplies the guided gradient by the
Grad-CAM map upsampled to the input size, element-wise over the channels:

    GGC^c(x) = dS^c/dx (guided) * upsample(L_Grad-CAM^c)                      (N, C, H, W)

keeping the fine detail of guided backprop only where Grad-CAM says the class is.
"""

from __future__ import annotations

import numpy as np

from numpycam.methods.base import BATCH, in_batches, one_hot
from numpycam.methods.grad_cam import grad_cam_explanation
from numpycam.methods.postprocess import upsample
from numpycam.nn.sequential import Sequential
from numpycam.validate import model_inputs


def score_input_gradient(model: Sequential, x: np.ndarray, c: np.ndarray, *,
                         guided: bool = False) -> np.ndarray:
    """dS^c/dx (N, C, H, W) on one batch of checked arrays; ``guided``: guided ReLUs."""
    S = model.forward(x)  # (N, M): the scores S^c before softmax
    dS = one_hot(c, model.num_classes).astype(S.dtype)  # (N, M): 1 at c_n
    return model.backward(dS, guided=guided, param_grads=False)  # (N, C, H, W): dS^c/dx


def guided_grad_cam_product(model: Sequential, x: np.ndarray, c: np.ndarray,
                            layer: str | int | None = None) -> np.ndarray:
    """Guided Grad-CAM on one batch of checked arrays. (N, C, H, W)."""
    L = grad_cam_explanation(model, x, c, layer).maps  # (N, h, w): the Grad-CAM map
    G = score_input_gradient(model, x, c, guided=True)  # (N, C, H, W): guided backprop
    return G * upsample(L, x.shape[2:])[:, None]  # (N, C, H, W)


def input_gradient(model: Sequential, x, c, *, guided: bool = False,
                   batch_size: int = BATCH) -> np.ndarray:
    """dS^c / dx (N, C, H, W): how much each input pixel moves the score of class c."""
    x, c = model_inputs(model, x, c)
    return in_batches(score_input_gradient, model, x, c, batch_size, what="the input gradient",
                      guided=guided)


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
    return in_batches(guided_grad_cam_product, model, x, c, batch_size,
                      what="the Guided Grad-CAM map", layer=layer)
