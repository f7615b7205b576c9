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

from numpycam.methods.base import BATCH, CLASSES_DOC, in_batches
from numpycam.methods.grad_cam import grad_cam_explanation
from numpycam.methods.postprocess import upsample
from numpycam.methods.targets import backward_each, fold, model_targets, seeds
from numpycam.nn.sequential import Sequential


def score_input_gradient(model: Sequential, x: np.ndarray, c: np.ndarray | None, *,
                         guided: bool = False) -> np.ndarray:
    """dS^c/dx (N, C, H, W) on one batch of checked arrays; ``guided``: guided ReLUs.
    (N, T, C, H, W) for T classes per image, c (N, T)."""
    S = model.forward(x)  # (N, M): the scores S^c before softmax
    c, dS = seeds(S, c)  # dS (N, T, M): 1 at c_n (T = 1: one class per image)
    return fold(backward_each(model, dS, guided=guided), c)  # (N, C, H, W): dS^c/dx


def guided_grad_cam_product(model: Sequential, x: np.ndarray, c: np.ndarray | None,
                            layer: str | int | None = None) -> np.ndarray:
    """Guided Grad-CAM on one batch of checked arrays. (N, C, H, W), or (N, T, C, H, W)."""
    e = grad_cam_explanation(model, x, c, layer)  # e.maps (N, [T,] h, w): the Grad-CAM map
    G = score_input_gradient(model, x, e.c if c is None else c, guided=True)  # guided backprop
    up = upsample(e.maps.reshape(-1, *e.maps.shape[-2:]), x.shape[2:])  # (N [T], H, W)
    return G * up.reshape(*e.maps.shape[:-2], 1, *x.shape[2:])  # (N, [T,] C, H, W)


def input_gradient(model: Sequential, x, c=None, *, guided: bool = False,
                   batch_size: int = BATCH, target=None) -> np.ndarray:
    """dS^c / dx (N, C, H, W): how much each input pixel moves the score of class c."""
    x, c = model_targets(model, x, c, target)
    return in_batches(score_input_gradient, model, x, c, batch_size, what="the input gradient",
                      guided=guided)


def guided_backprop(model: Sequential, x, c=None, *, batch_size: int = BATCH,
                    target=None) -> np.ndarray:
    """dS^c/dx with every ReLU passing back only positive gradients at positive inputs.

    Springenberg et al. 2015, "Striving for Simplicity: The All Convolutional Net". (N, C, H, W).
    """
    return input_gradient(model, x, c, guided=True, batch_size=batch_size, target=target)


def guided_grad_cam(model: Sequential, x, c=None, layer: str | int | None = None, *,
                    batch_size: int = BATCH, target=None) -> np.ndarray:
    """Guided backprop times the Grad-CAM map upsampled to the input size. (N, C, H, W).

    Selvaraju et al. 2017, Section 3: the element-wise product keeps the fine detail of guided
    backprop only where Grad-CAM says the class is.
    """
    x, c = model_targets(model, x, c, target)
    return in_batches(guided_grad_cam_product, model, x, c, batch_size,
                      what="the Guided Grad-CAM map", layer=layer)


INPUT_CLASSES_DOC = CLASSES_DOC.replace("(N, T, h, w)", "(N, T, C, H, W)")
input_gradient.__doc__ = (input_gradient.__doc__ or "") + INPUT_CLASSES_DOC
guided_backprop.__doc__ = (guided_backprop.__doc__ or "") + INPUT_CLASSES_DOC
guided_grad_cam.__doc__ = (guided_grad_cam.__doc__ or "") + INPUT_CLASSES_DOC
