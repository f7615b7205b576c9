"""numpycam exercises: write the key pieces of CAM and Grad-CAM yourself, in plain NumPy.

Replace each ``raise NotImplementedError`` with your code, then grade the file with

    numpycam check lessons/exercises/exercises.py        (or: python -m numpycam check ...)

The grader runs the project's own tests on your functions: hand-worked cases, random inputs
compared with the library, and finite-difference gradient checks. It reports, per exercise,
pass / FAIL (with a hint) / not done. Grade one exercise at a time with ``--only NAME``.

Rules: NumPy only (no numpycam in here); float64 in, float64 out; return new arrays, never
change your inputs in place.

Glossary (as in the numpycam package):

    layout      NCHW: N images, C channels, H rows, W columns
    D, HH, WW   number of conv filters and their height / width (F is the GAP output)
    f_k(i, j)   feature map k of a conv layer at row i, column j; f has shape (N, K, h, w)
    Z           number of positions per feature map, Z = h * w
    F_k         GAP output, F_k = (1/Z) sum_ij f_k(i, j)
    w_k^c       dense weight from channel k to class c
    S^c         the score of class c before softmax, S^c = sum_k w_k^c F_k + b_c
    a_k^c       Grad-CAM channel weight, a_k^c = (1/Z) sum_ij dS^c / df_k(i, j)

For backward passes: ``dout`` is dL/d(output) for some scalar L, and you return dL/d(input),
of the input's shape (the chain rule, one layer at a time).
"""

import numpy as np  # noqa: F401  (you will need it)

# 1. ReLU ------------------------------------------------------------------------------------


def relu_backward(dout, x):
    """dx for out = max(x, 0):   dx = dout * [x > 0]        dout, x, dx: same shape.

    The slope of ReLU is 1 where x > 0 and 0 where x < 0. At x == 0 there is no derivative;
    use 0 there, as every framework does.
    Hint: a boolean array such as ``x > 0`` multiplies like 0 / 1.
    """
    raise NotImplementedError


def guided_relu_backward(dout, x):
    """Guided backprop's rule:   dx = dout * [x > 0] * [dout > 0]        same shapes.

    Springenberg et al. 2015: like the plain ReLU backward, but a gradient passes only if it is
    positive as well. The result is no longer the true gradient; it makes sharper pictures.
    Hint: two conditions, both must hold.
    """
    raise NotImplementedError


# 2. Global Average Pooling -------------------------------------------------------------------


def gap_forward(f):
    """GAP:   F_k = (1/Z) sum_{i,j} f_k(i, j),  Z = h * w        f (N, K, h, w) -> F (N, K).

    One number per image and channel: the mean of that feature map.
    Hint: ``np.mean`` takes a tuple of axes.
    """
    raise NotImplementedError


def gap_backward(dF, f_shape):
    """GAP backward:   df_k(i, j) = dF_k / Z   for every (i, j)      dF (N, K) -> df f_shape.

    f_shape is the tuple (N, K, h, w). Since dF_k / df_k(i, j) = 1/Z, each of the Z positions
    of map k receives the same share of dF_k.
    Hint: ``dF[:, :, None, None]`` broadcasts against an (N, K, h, w) array.
    """
    raise NotImplementedError


# 3. CAM and Grad-CAM -------------------------------------------------------------------------


def cam_sum(f, w):
    """The class activation map   L^c(i, j) = sum_k w_k^c f_k(i, j)     (CAM paper, Eq. 2).

    f (N, K, h, w) feature maps; w (N, K), row n holds w_k^c for the class asked for image n.
    Returns L (N, h, w): one map per image, the feature maps weighted and summed over k.
    Hint: broadcast w to (N, K, 1, 1), multiply, sum over axis 1 (or use ``np.einsum``).
    """
    raise NotImplementedError


def grad_cam_weights(dS_df):
    """Grad-CAM's channel weights   a_k^c = (1/Z) sum_{i,j} dS^c / df_k(i, j)   (Eq. 1).

    dS_df (N, K, h, w) is the gradient of the class score with respect to the feature maps;
    returns a (N, K). On a GAP network, dS^c/df_k(i, j) = w_k^c / Z, so a_k^c = w_k^c / Z
    and Grad-CAM is CAM divided by Z.
    Hint: look closely - you have written this operation before.
    """
    raise NotImplementedError


# 4. Convolution ------------------------------------------------------------------------------


def conv_forward(x, W, b, stride, pad):
    """Convolution (cross-correlation) of x (N, C, H, W) with W (D, C, HH, WW), b (D,).

        out[n, d, i, j] = b[d] + sum_{c,p,q} W[d, c, p, q] * xp[n, c, i*stride + p, j*stride + q]

    where xp is x with ``pad`` zeros on each side of both spatial axes. out (N, D, H', W') with
    H' = (H + 2 pad - HH) // stride + 1,  W' = (W + 2 pad - WW) // stride + 1.
    Hint: ``np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))``; loops are fine.
    """
    raise NotImplementedError


def conv_backward(dout, x, W, stride, pad):
    """Gradients of conv_forward: returns the tuple (dx, dW, db).

    dout (N, D, H', W'); dx like x (N, C, H, W); dW like W (D, C, HH, WW); db (D,).
    Each output number out[n, d, i, j] was made from one patch of xp and the filter W[d], so it
    sends dout[n, d, i, j] * W[d] back to that patch of dxp, dout[n, d, i, j] * patch to dW[d],
    and dout[n, d, i, j] to db[d]. Finally cut the padding off dxp to get dx.
    Hint: the same loops as conv_forward, with += into zero arrays.
    """
    raise NotImplementedError
