"""The CAM family: each method is one weight rule; ``weighted_sum`` does the rest.

With f_k the maps of the explained layer (N, K, h, w), g = dS^c/df (S^c the raw score of
class c), Z = h w and every map sum_k weight_k f_k at the layer's resolution (N, h, w):

    method              weight_k (per channel, or per position (i, j))            final ReLU
    cam                 w_k^c (the Dense weight; GAP networks only)               no
    grad_cam            (1/Z) sum_ij g_k(i, j)                                    yes
    hires_cam           g_k(i, j)                                                 yes
    grad_cam_plus_plus  sum_ij alpha_k(i, j) ReLU(g_k(i, j)),
                        alpha = g^2 / (2 g^2 + sum_ab f_k(a, b) g^3)              yes
    xgrad_cam           sum_ij (f_k(i, j) / sum_ab f_k(a, b)) g_k(i, j)           yes
    layer_cam           ReLU(g_k(i, j))                                           yes
    score_cam           softmax_k(S^c(x * normalize(upsample(f_k))) - S^c(0))     yes
    eigen_cam           v_k, the first right singular vector of f as (Z x K)      no

On a network whose maps feed GAP (g = w_k^c / Z everywhere) the gradient methods reduce to
CAM; tests/test_family.py proves each reduction.

Where each equation lives:

    base.py        weighted_sum (sum_k weight_k f_k), one_hot, Explanation, the batches, and
                   the two passes every gradient method shares (f, then g = dS^c/df)
    cam.py         CAM, L_CAM^c = sum_k w_k^c f_k
    grad_cam.py    Grad-CAM, a_k^c = (1/Z) sum_ij g_k(i, j), L = ReLU(sum_k a_k^c f_k)
    guided.py      the input gradient dS^c/dx, guided backprop, Guided Grad-CAM
    targets.py     what a map explains: c=None (the top class), a class name, T classes per
                   image (maps (N, T, h, w)), or target= (a linear score, or fn -> (y, dy/dS))
    one file per other method of the table (its weight rule); postprocess.py (upsample, normalize);
    registry.py (METHODS, the one table of every method)

The defaults are the papers' maps. Options adopt other libraries' conventions, so that their
maps can be reproduced to round-off (benchmarks/vs_peers.py, tests/test_conventions.py):
grad_cam_plus_plus ``eps=`` (pytorch-grad-cam adds 1e-6 to alpha's denominator), eigen_cam
``center=`` (pytorch-grad-cam centres f), score_cam ``align_corners=`` (pytorch-grad-cam's
masks) and ``normalize_first=`` (torch-cam's), and numpycam.methods.postprocess.upsample
``align_corners=`` and ``mode="nearest"`` (Captum's interpolation). numpycam.methods.registry.METHODS
lists them all, with cam and grad_cam, for everything that iterates over the methods.
"""

from numpycam.methods.eigen_cam import eigen_cam, eigen_cam_weights
from numpycam.methods.grad_cam_plus_plus import grad_cam_plus_plus, grad_cam_plus_plus_weights
from numpycam.methods.hires_cam import hires_cam, hires_cam_weights
from numpycam.methods.layer_cam import layer_cam, layer_cam_weights
from numpycam.methods.score_cam import masked_scores, score_cam
from numpycam.methods.xgrad_cam import xgrad_cam, xgrad_cam_weights

__all__ = [
    "eigen_cam",
    "eigen_cam_weights",
    "grad_cam_plus_plus",
    "grad_cam_plus_plus_weights",
    "hires_cam",
    "hires_cam_weights",
    "layer_cam",
    "layer_cam_weights",
    "masked_scores",
    "score_cam",
    "xgrad_cam",
    "xgrad_cam_weights",
]
