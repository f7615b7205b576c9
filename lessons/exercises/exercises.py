"""numpycam exercises: write the key pieces of CAM and Grad-CAM yourself, in plain NumPy.

Replace each ``raise NotImplementedError`` with your code, then grade the file with

    numpycam check lessons/exercises/exercises.py        (or: python -m numpycam check ...)

The grader runs the project's own tests on your functions: hand-worked cases, random inputs
compared with the library, and finite-difference gradient checks. Each check earns points;
it reports, per exercise, pass / partial / FAIL (with a hint) / not done and your points.
Grade one exercise at a time with ``--only NAME``. The exercises follow the lessons: each
section below names its lesson, whose "Try this" points here.

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

# Lesson 2 (lessons/02_architecture.py): the layers of a CNN -----------------------------------


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


def maxpool_forward(x, size, stride):
    """Max pooling:   out[n, c, i, j] = max_{p, q < size} x[n, c, i*stride + p, j*stride + q]

    x (N, C, H, W) -> out (N, C, H', W'), H' = (H - size) // stride + 1 (no padding).
    Hint: ``x[:, :, r:r + size, s:s + size].max(axis=(2, 3))`` is one window for every n, c.
    """
    raise NotImplementedError


def maxpool_backward(dout, x, size, stride):
    """Max pool backward: dout[n, c, i, j] goes to the input that was its window's maximum.

    dout (N, C, H', W'), x (N, C, H, W) -> dx (N, C, H, W). Where several inputs tie for the
    maximum the function has no derivative; send the whole gradient to the FIRST of them in
    row-major order (what ``np.argmax`` returns, and what the frameworks do), not to all of
    them and not shared. Windows overlap when stride < size: add with +=.
    Hint: ``np.unravel_index(np.argmax(window), window.shape)``.
    """
    raise NotImplementedError


def dense_backward(dS, F, W):
    """Gradients of the dense layer S = F W^T + b: returns (dF, dW, db).

    F (N, K) the GAP output, W (M, K) with row c holding w_k^c, b (M,), dS (N, M).
        dF = dS W   (N, K)      dW = dS^T F   (M, K)      db = sum_n dS   (M,)
    Hint: each gradient has the shape of its variable; let the shapes choose the transposes.
    """
    raise NotImplementedError


# Lesson 3 (lessons/03_gap.py): Global Average Pooling -----------------------------------------


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


# Lesson 5 (lessons/05_cam.py): the class activation map ---------------------------------------


def cam_sum(f, w):
    """The class activation map   L^c(i, j) = sum_k w_k^c f_k(i, j)     (CAM paper, Eq. 2).

    f (N, K, h, w) feature maps; w (N, K), row n holds w_k^c for the class asked for image n.
    Returns L (N, h, w): one map per image, the feature maps weighted and summed over k.
    Hint: broadcast w to (N, K, 1, 1), multiply, sum over axis 1 (or use ``np.einsum``).
    """
    raise NotImplementedError


# Lesson 7 (lessons/07_localization.py): from a map to a box ----------------------------------


def box_from_map(m, threshold):
    """The box (x0, y0, x1, y1) of the pixels with m >= threshold * max(m); ends exclusive.

    m (h, w). x is the column, y the row; x1 = last column + 1, y1 = last row + 1. (The
    library also keeps only the largest connected region; the maps graded here have one.)
    Hint: ``ys, xs = np.nonzero(m >= threshold * m.max())``.
    """
    raise NotImplementedError


def iou(a, b):
    """Intersection over union of two boxes (x0, y0, x1, y1), ends exclusive: a float.

        inter = max(0, min(ax1, bx1) - max(ax0, bx0)) * max(0, min(ay1, by1) - max(ay0, by0))
        iou = inter / (area_a + area_b - inter),   area = (x1 - x0) * (y1 - y0)
    Hint: boxes that only touch or lie apart overlap by 0, never by a negative amount.
    """
    raise NotImplementedError


def pointing_game(m, box):
    """The pointing game: is the map's peak inside the box?  Returns a bool.

    m (h, w); box (x0, y0, x1, y1) in the map's pixels, ends exclusive. The peak is the first
    maximum in row-major order; hit = x0 <= x < x1 and y0 <= y < y1.
    Hint: ``np.unravel_index(np.argmax(m), m.shape)`` gives (row, column) = (y, x).
    """
    raise NotImplementedError


# Lesson 9 (lessons/09_gradient.py): gradients -------------------------------------------------


def relu_backward(dout, x):
    """dx for out = max(x, 0):   dx = dout * [x > 0]        dout, x, dx: same shape.

    The slope of ReLU is 1 where x > 0 and 0 where x < 0. At x == 0 there is no derivative;
    use 0 there, as every framework does.
    Hint: a boolean array such as ``x > 0`` multiplies like 0 / 1.
    """
    raise NotImplementedError


def softmax_cross_entropy(S, y):
    """Mean cross-entropy of labels y (N,) under softmax(S), S (N, M): returns (loss, dS).

        p = softmax(S_n) = exp(S_n) / sum_m exp(S_n,m)
        loss = -(1/N) sum_n log p_n[y_n]           dS = (p - onehot(y)) / N     (N, M)
    Hint: subtract each row's maximum before ``np.exp`` (softmax does not change, nothing
    overflows); the loss is a float.
    """
    raise NotImplementedError


# Lesson 10 (lessons/10_grad_cam.py): Grad-CAM --------------------------------------------------


def grad_cam_weights(dS_df):
    """Grad-CAM's channel weights   a_k^c = (1/Z) sum_{i,j} dS^c / df_k(i, j)   (Eq. 1).

    dS_df (N, K, h, w) is the gradient of the class score with respect to the feature maps;
    returns a (N, K). On a GAP network, dS^c/df_k(i, j) = w_k^c / Z, so a_k^c = w_k^c / Z
    and Grad-CAM is CAM divided by Z.
    Hint: look closely - you have written this operation before.
    """
    raise NotImplementedError


def upsample_bilinear(maps, H, W):
    """Bilinear resize of maps (N, h, w) to (N, H, W) with half-pixel centres.

    Output pixel (y, x) reads the source point
        y_src = clamp((y + 0.5) * h / H - 0.5, 0, h - 1),   x_src likewise with w / W,
    and mixes the four source pixels around it by their distances (as OpenCV's INTER_LINEAR
    and PyTorch's align_corners=False).
    Hint: y0 = floor(y_src), y1 = min(y0 + 1, h - 1), weight y_src - y0; the same for x.
    """
    raise NotImplementedError


def grad_cam_map(f, g, H, W):
    """The whole Grad-CAM:   L = upsample(ReLU(sum_k a_k^c f_k), (H, W))      (N, H, W).

    f (N, K, h, w) feature maps, g = dS^c / df of the same shape, a_k^c = (1/Z) sum_ij g_k.
    Hint: your grad_cam_weights, your cam_sum, np.maximum(., 0), your upsample_bilinear.
    """
    raise NotImplementedError


# Lesson 12 (lessons/12_guided.py): Guided Backpropagation --------------------------------------


def guided_relu_backward(dout, x):
    """Guided backprop's rule:   dx = dout * [x > 0] * [dout > 0]        same shapes.

    Springenberg et al. 2015: like the plain ReLU backward, but a gradient passes only if it is
    positive as well. The result is no longer the true gradient; it makes sharper pictures.
    Hint: two conditions, both must hold.
    """
    raise NotImplementedError


def guided_grad_cam(guided, L):
    """Guided Grad-CAM:   product[n, c] = guided[n, c] * L[n]       (N, C, H, W).

    guided (N, C, H, W) is guided backprop's image, L (N, H, W) the Grad-CAM map upsampled
    to the image size. The product keeps the fine detail only where Grad-CAM sees the class.
    Hint: ``L[:, None]`` broadcasts one map over the C channels.
    """
    raise NotImplementedError
