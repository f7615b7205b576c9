"""numpycam: CAM and Grad-CAM derived, computed and proven in plain NumPy.

Glossary (the notation of the post "CNN visualization: CAM and Grad-CAM" and of the papers):

    layout      NCHW: N images, C channels, H rows, W columns
    D, HH, WW   number of conv filters (a conv's output channels) and their height / width
    K           number of feature maps f_k of the explained layer, k = 0 .. K-1
    M           number of classes, c = 0 .. M-1
    f_k(i, j)   feature map k of a conv layer at row i, column j; shape (N, K, h, w)
    Z           number of positions per feature map, Z = h * w
    F_k         GAP output, F_k = (1/Z) sum_ij f_k(i, j); shape (N, K)
    w_k^c       dense weight from channel k to class c: ``model["fc"].W[c, k]``
    S^c         the score of class c before softmax: ``model.forward(x)[:, c]``
    g_k(i, j)   dS^c / df_k(i, j), the gradient every gradient method starts from
    a_k^c       Grad-CAM channel weight, a_k^c = (1/Z) sum_ij g_k(i, j)
    L^c(i, j)   a map, sum_k weight_k f_k(i, j) (with a final ReLU for most methods)

Images from maps: ``to_image(maps, size)`` (N, H, W) in [0, 1] (numpycam/methods/postprocess.py);
``overlay(image, map)`` a uint8 RGB array (numpycam/viz/arrays.py, loaded when first used).

Where each equation of the post lives (the core: NumPy and SciPy only):

    GAP, F_k = (1/Z) sum_ij f_k(i, j)             numpycam/ops/gap.py
    S^c = sum_k w_k^c F_k + b_c                   numpycam/ops/dense.py
    CAM, L^c = sum_k w_k^c f_k                    numpycam/methods/cam.py
    Grad-CAM, a_k^c and ReLU(sum_k a_k^c f_k)     numpycam/methods/grad_cam.py
    guided backprop, Guided Grad-CAM              numpycam/methods/guided.py (rule: ops/relu.py)
    the family, one weight rule each              numpycam/methods/*.py; the table: METHODS

The rooms around the core (files, data, train, imagenet, evaluation, viz, classroom, commands)
depend on it, never the reverse: docs/architecture.md.
"""

from numpycam import data
from numpycam.data.multi import multi_object_scenes
from numpycam.evaluation.faithfulness import (
    average_drop_increase,
    deletion_auc,
    deletion_curve,
    insertion_auc,
    insertion_curve,
)
from numpycam.evaluation.localize import box_from_map, iou, localization_accuracy
from numpycam.evaluation.pointing import energy_in_box, favours_own_object, pointing_game
from numpycam.evaluation.wsol import max_box_acc, pxap
from numpycam.files.load import load
from numpycam.files.save import save
from numpycam.files.zoo import pretrained
from numpycam.methods import (
    eigen_cam,
    grad_cam_plus_plus,
    hires_cam,
    layer_cam,
    score_cam,
    xgrad_cam,
)
from numpycam.methods.base import Explanation, one_hot, weighted_sum
from numpycam.methods.cam import cam
from numpycam.methods.grad_cam import grad_cam
from numpycam.methods.guided import guided_backprop, guided_grad_cam, input_gradient
from numpycam.methods.postprocess import normalize, to_image, upsample
from numpycam.methods.registry import METHODS, Method
from numpycam.nn.blocks import Block, Residual
from numpycam.nn.builders import fc_cnn, gap_cnn
from numpycam.nn.layer import Layer
from numpycam.nn.layers import Center, Conv2D, Dense, Flatten, GlobalAvgPool2D, MaxPool2D, ReLU
from numpycam.nn.losses import log_softmax, sigmoid, sigmoid_cross_entropy, softmax, softmax_cross_entropy
from numpycam.nn.mobile import BatchNorm2D, DepthwiseConv2D, ReLU6, ZeroPad2D, same_padding
from numpycam.nn.sequential import Sequential
from numpycam.train.fit import History, accuracy, fit, mean_average_precision
from numpycam.train.heads import fit_head, gap_head_at
from numpycam.train.optim import SGD, Adam
from numpycam.validate import NonFiniteError

__version__ = "0.1.0"


def __getattr__(name: str):
    """``numpycam.overlay`` (numpycam.viz.arrays.overlay_rgb), imported when first asked for, so
    that ``import numpycam`` does not load matplotlib (the overlay reads its colour tables)."""
    if name == "overlay":
        from numpycam.viz.arrays import overlay_rgb

        return overlay_rgb
    raise AttributeError(f"module 'numpycam' has no attribute {name!r}")


__all__ = [
    "NonFiniteError",
    "Adam",
    "BatchNorm2D",
    "Block",
    "DepthwiseConv2D",
    "ReLU6",
    "Residual",
    "ZeroPad2D",
    "same_padding",
    "Center",
    "History",
    "accuracy",
    "data",
    "fit",
    "pretrained",
    "Explanation",
    "METHODS",
    "Method",
    "favours_own_object",
    "one_hot",
    "average_drop_increase",
    "deletion_auc",
    "deletion_curve",
    "eigen_cam",
    "grad_cam_plus_plus",
    "hires_cam",
    "insertion_auc",
    "insertion_curve",
    "layer_cam",
    "score_cam",
    "xgrad_cam",
    "box_from_map",
    "cam",
    "energy_in_box",
    "grad_cam",
    "guided_backprop",
    "guided_grad_cam",
    "input_gradient",
    "iou",
    "localization_accuracy",
    "max_box_acc",
    "pxap",
    "normalize",
    "overlay",
    "pointing_game",
    "to_image",
    "upsample",
    "weighted_sum",
    "Conv2D",
    "Dense",
    "Flatten",
    "GlobalAvgPool2D",
    "Layer",
    "MaxPool2D",
    "ReLU",
    "SGD",
    "Sequential",
    "fc_cnn",
    "gap_cnn",
    "gap_head_at",
    "fit_head",
    "load",
    "log_softmax",
    "save",
    "softmax",
    "softmax_cross_entropy",
    "mean_average_precision",
    "multi_object_scenes",
    "sigmoid",
    "sigmoid_cross_entropy",
]
