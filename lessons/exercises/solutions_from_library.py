"""The exercises answered by numpycam itself: each one calls the library's own function.

``numpycam check lessons/exercises/solutions_from_library.py`` reports every exercise as
passing; it is the proof that the grader's tests hold for the reference solutions. Each body
shows where the answer lives in the package, so it is also a reading guide to the library.
"""

import numpy as np

from numpycam.evaluation.localize import box_from_map as _box_from_map
from numpycam.evaluation.localize import iou as _iou
from numpycam.evaluation.pointing import pointing_game as _pointing_game
from numpycam.methods.base import weighted_sum
from numpycam.methods.postprocess import upsample
from numpycam.nn.losses import softmax_cross_entropy as _softmax_cross_entropy
from numpycam.ops.conv_fast import conv_backward as _conv_backward
from numpycam.ops.conv_fast import conv_forward as _conv_forward
from numpycam.ops.dense import dense_backward as _dense_backward
from numpycam.ops.gap import gap_backward as _gap_backward
from numpycam.ops.gap import gap_forward as _gap_forward
from numpycam.ops.pool import maxpool_backward as _maxpool_backward
from numpycam.ops.pool import maxpool_forward as _maxpool_forward
from numpycam.ops.relu import relu_backward as _relu_backward


def relu_backward(dout, x):
    return _relu_backward(dout, x > 0)


def guided_relu_backward(dout, x):
    return _relu_backward(dout, x > 0, guided=True)


def gap_forward(f):
    return _gap_forward(f)[0]


def gap_backward(dF, f_shape):
    return _gap_backward(dF, f_shape)


def cam_sum(f, w):
    return weighted_sum(f, w)


def grad_cam_weights(dS_df):
    return _gap_forward(dS_df)[0]  # a_k^c is the GAP of the gradient maps


def conv_forward(x, W, b, stride, pad):
    return _conv_forward(x, W, b, stride, pad)[0]


def conv_backward(dout, x, W, stride, pad):
    cache = _conv_forward(x, W, np.zeros(len(W)), stride, pad)[1]  # b does not enter backward
    return _conv_backward(dout, cache)


def maxpool_forward(x, size, stride):
    return _maxpool_forward(x, size, stride)[0]


def maxpool_backward(dout, x, size, stride):
    return _maxpool_backward(dout, _maxpool_forward(x, size, stride)[1])


def dense_backward(dS, F, W):
    return _dense_backward(dS, F, W)


def softmax_cross_entropy(S, y):
    return _softmax_cross_entropy(S, y)


def upsample_bilinear(maps, H, W):
    return upsample(maps, (H, W))


def grad_cam_map(f, g, H, W):
    L = np.maximum(weighted_sum(f, _gap_forward(g)[0]), 0)  # nc.grad_cam's map at f's size
    return upsample(L, (H, W))


def guided_grad_cam(guided, L):
    return guided * L[:, None]


def box_from_map(m, threshold):
    return _box_from_map(m, threshold)


def iou(a, b):
    return _iou(a, b)


def pointing_game(m, box):
    return _pointing_game(m, box)
