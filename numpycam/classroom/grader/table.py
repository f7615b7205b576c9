"""The exercises of lessons/exercises/, grouped by lesson, each with its checks and their points.

An exercise is a function name, its signature, the rule (shown while it is not done), a hint
(shown with a failure), the lesson it belongs to, and its checks: (label, check, points). A
submission earns the points of every check it passes; one failure does not cost the others.
"""

from __future__ import annotations

from dataclasses import dataclass

from numpycam.classroom.grader import props_basic as pb
from numpycam.classroom.grader import props_boxes as pbox
from numpycam.classroom.grader import props_conv as pc
from numpycam.classroom.grader import props_pipeline as pp
from numpycam.classroom.grader.judge import CASES, FD_CASES


@dataclass(frozen=True)
class Check:
    label: str
    run: object  # run(fn, seed) -> None, or raises Failure / NotImplementedError
    points: int


@dataclass(frozen=True)
class Exercise:
    name: str
    lesson: str  # the lesson file it practises, e.g. "03_gap"
    signature: str
    rule: str
    hint: str
    checks: tuple[Check, ...]

    @property
    def points(self) -> int:
        return sum(c.points for c in self.checks)


HAND = "hand-worked case"
LIB = f"= library on {CASES} random cases"
FD = f"finite differences on {FD_CASES} random cases"
NETS = f"{FD_CASES} random GAP networks"


def ex(name, lesson, signature, rule, hint, *checks):
    return Exercise(name, lesson, signature, rule, hint,
                    tuple(Check(label, run, points) for label, run, points in checks))


EXERCISES = (
    ex("conv_forward", "02_architecture", "conv_forward(x, W, b, stride, pad) -> out",
       "out[n, d, i, j] = b[d] + sum_cpq W[d, c, p, q] xp[n, c, i*stride + p, j*stride + q]",
       "pad x with zeros first; H' = (H + 2 pad - HH) // stride + 1; window (i, j) starts at row "
       "i * stride, column j * stride of the padded x; do not flip W",
       (HAND, pc.conv_hand, 2), (LIB + " (the loop reference)", pc.conv_library, 2)),
    ex("conv_backward", "02_architecture", "conv_backward(dout, x, W, stride, pad) -> (dx, dW, db)",
       "out[n, d, i, j] sends dout * W[d] to its patch of dxp, dout * patch to dW[d], dout to db[d]",
       "loop as in conv_forward, adding with += into zeros of the padded shape, then cut the "
       "padding off dxp; db is dout summed over n, i, j",
       (HAND, pc.conv_back_hand, 2), (FD, pc.conv_back_fd, 2),
       (LIB + " (the loop reference)", pc.conv_back_library, 2)),
    ex("maxpool_forward", "02_architecture", "maxpool_forward(x, size, stride) -> out",
       "out[n, c, i, j] = max_{p, q < size} x[n, c, i*stride + p, j*stride + q]",
       "H' = (H - size) // stride + 1; take the max of each window over its last two axes",
       (HAND, pc.pool_hand, 1), (LIB + " (the loop reference)", pc.pool_library, 1)),
    ex("maxpool_backward", "02_architecture", "maxpool_backward(dout, x, size, stride) -> dx",
       "dout[n, c, i, j] goes to the first maximum (row-major) of its window; overlapping windows "
       "add up",
       "np.argmax of the flattened window gives the first maximum; use += for overlapping windows",
       (HAND + " with ties", pc.pool_back_hand, 2), (FD + " (no ties)", pc.pool_back_fd, 1),
       (LIB + " (the loop reference)", pc.pool_back_library, 1)),
    ex("dense_backward", "02_architecture", "dense_backward(dS, F, W) -> (dF, dW, db)",
       "S = F W^T + b, F (N, K), W (M, K): dF = dS W, dW = dS^T F, db = sum_n dS",
       "every gradient has the shape of its variable: dW like W (M, K), dF like F (N, K)",
       (HAND, pb.dense_hand, 2), (FD, pb.dense_fd, 2)),
    ex("gap_forward", "03_gap", "gap_forward(f) -> F",
       "F_k = (1/Z) sum_ij f_k(i, j): (N, K, h, w) -> (N, K)",
       "the mean of each map over its h * w positions, i.e. over axes 2 and 3",
       (HAND, pb.gap_hand, 1), (LIB, pb.gap_library, 1)),
    ex("gap_backward", "03_gap", "gap_backward(dF, f_shape) -> df",
       "df_k(i, j) = dF_k / Z: (N, K) -> f_shape (N, K, h, w)",
       "every position of map k receives dF_k / Z: broadcast dF[:, :, None, None] / Z to f_shape",
       (HAND, pb.gap_back_hand, 1), (FD, pb.gap_back_fd, 1), (LIB, pb.gap_back_library, 1)),
    ex("cam_sum", "05_cam", "cam_sum(f, w) -> L",
       "L^c(i, j) = sum_k w_k^c f_k(i, j): f (N, K, h, w), w (N, K) -> (N, h, w)",
       "weight each map by its w_k (w[:, :, None, None] * f), then sum over the channel axis 1",
       (HAND, pb.cam_hand, 1), (LIB, pb.cam_library, 1),
       (f"mean_ij L = S^c - b_c on {NETS}", pb.cam_identity, 1)),
    ex("box_from_map", "07_localization", "box_from_map(m, threshold) -> (x0, y0, x1, y1)",
       "the box of the pixels with m >= threshold * max(m); ends exclusive",
       "np.nonzero(m >= threshold * m.max()) gives rows (y) and columns (x); x1 = max col + 1",
       (HAND, pbox.box_hand, 2), (f"= numpycam.box_from_map on {CASES} one-peak maps",
                                  pbox.box_library, 1)),
    ex("iou", "07_localization", "iou(a, b) -> float",
       "inter / (area_a + area_b - inter), inter = max(0, overlap in x) * max(0, overlap in y)",
       "the overlap in x is min(x1) - max(x0), clipped at 0; areas (x1 - x0) * (y1 - y0)",
       (HAND, pbox.iou_hand, 2), (LIB, pbox.iou_library, 1)),
    ex("pointing_game", "07_localization", "pointing_game(m, box) -> bool",
       "hit = the first argmax (y, x) of m lies in the box: x0 <= x < x1 and y0 <= y < y1",
       "np.unravel_index(np.argmax(m), m.shape) gives (row, column) = (y, x)",
       (HAND, pbox.pointing_hand, 1), (LIB, pbox.pointing_library, 1)),
    ex("relu_backward", "09_gradient", "relu_backward(dout, x) -> dx", "dx = dout * [x > 0]",
       "multiply dout by the mask x > 0: nothing passes where x <= 0, every gradient (positive "
       "or negative) passes where x > 0",
       (HAND, pb.relu_hand, 1), (FD, pb.relu_fd, 1), (LIB, pb.relu_library, 1)),
    ex("softmax_cross_entropy", "09_gradient", "softmax_cross_entropy(S, y) -> (loss, dS)",
       "loss = -(1/N) sum_n log softmax(S_n)[y_n]; dS = (softmax(S) - onehot(y)) / N",
       "subtract each row's maximum before np.exp (the same softmax, no overflow); the loss is "
       "a mean over the N images, so dS carries the 1/N too",
       (HAND, pp.xent_hand, 2), (LIB, pp.xent_library, 1), (FD, pp.xent_fd, 1)),
    ex("grad_cam_weights", "10_grad_cam", "grad_cam_weights(dS_df) -> a",
       "a_k^c = (1/Z) sum_ij dS^c/df_k(i, j): (N, K, h, w) -> (N, K)",
       "the mean of each gradient map over its h * w positions: the GAP of the gradient",
       (HAND, pb.grad_cam_hand, 1), (LIB, pb.grad_cam_library, 1),
       (f"a = w^c / Z on {NETS}", pb.grad_cam_identity, 1)),
    ex("upsample_bilinear", "10_grad_cam", "upsample_bilinear(maps, H, W) -> up",
       "up[n, y, x] reads maps[n] at y_src = clamp((y + 0.5) h / H - 0.5, 0, h - 1), likewise "
       "x_src, interpolating between the 4 neighbours",
       "half-pixel centres: pixel y covers [y, y + 1), its centre y + 0.5; clamp the source "
       "coordinate, then weight the two rows and two columns around it by their distances",
       (HAND, pp.upsample_hand, 2), (LIB, pp.upsample_library, 2)),
    ex("grad_cam_map", "10_grad_cam", "grad_cam_map(f, g, H, W) -> L",
       "L = upsample(ReLU(sum_k a_k f_k), (H, W)), a_k = (1/Z) sum_ij g_k(i, j): f, g (N, K, h, w)",
       "your grad_cam_weights, your cam_sum with a in place of w, np.maximum(., 0), then your "
       "upsample_bilinear",
       (HAND, pp.grad_cam_map_hand, 2), (f"= numpycam.grad_cam on {NETS}",
                                         pp.grad_cam_map_networks, 2)),
    ex("guided_relu_backward", "12_guided", "guided_relu_backward(dout, x) -> dx",
       "dx = dout * [x > 0] * [dout > 0]",
       "keep dout only where x > 0 and dout > 0 both hold; every other entry is exactly 0",
       (HAND, pb.guided_hand, 1), (f"zero pattern on {CASES} random cases",
                                   pb.guided_zero_pattern, 1)),
    ex("guided_grad_cam", "12_guided", "guided_grad_cam(guided, L) -> product",
       "product[n, c] = guided[n, c] * L[n]: guided (N, C, H, W), L (N, H, W)",
       "every channel of the guided backprop image is multiplied by the same map: L[:, None]",
       (HAND, pp.guided_gc_hand, 1), (LIB, pp.guided_gc_library, 1)),
)
NAMES = tuple(e.name for e in EXERCISES)
BY_NAME = {e.name: e for e in EXERCISES}


def select(only=None) -> tuple[Exercise, ...]:
    """The exercises named in ``only`` (all by default), in table order; ValueError for a typo."""
    unknown = [name for name in only or () if name not in BY_NAME]
    if unknown:
        raise ValueError(f"unknown exercise {unknown[0]!r}; the exercises are {', '.join(NAMES)}")
    return tuple(e for e in EXERCISES if not only or e.name in only)
